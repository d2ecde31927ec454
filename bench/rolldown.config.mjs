// rolldown with the options `edgespark build` uses; build.py passes the paths in the environment.
export default {
  input: process.env.BENCH_INPUT,
  platform: "browser",
  tsconfig: process.env.BENCH_TSCONFIG,
  external: [/^edgespark(\/|$)/, /^cloudflare:/, /^node:/],
  resolve: { conditionNames: ["workerd", "worker", "browser", "import", "default"], mainFields: ["browser", "module", "main"] },
  output: { file: process.env.BENCH_OUTPUT, format: "esm", minify: process.env.BENCH_MINIFY === "1" },
  logLevel: "silent",
};
