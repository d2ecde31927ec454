const m = JSON.parse(process.env.BENCH_MINIFY_OPTS);
export default {
  input: process.env.BENCH_INPUT,
  platform: "browser",
  external: [/^edgespark(\/|$)/, /^cloudflare:/, /^node:/],
  output: { file: process.env.BENCH_OUTPUT, format: "esm", minify: m },
  logLevel: "silent",
};
