//! One HTTPS GET (rustls, trusting the system's certificates; a proxy from `HTTPS_PROXY`/`ALL_PROXY` when set), the whole body in
//! memory with a size cap: npm packages and template tarballs, never anything streamed.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Bodies larger than this are refused: the biggest thing fetched (a native compiler) is
/// ~40 MB packed.
const MAX_BODY: u64 = 512 * 1024 * 1024;

/// The body of `url` (http or https), or why it could not be had.
pub fn get(url: &str, accept: Option<&str>) -> Result<Vec<u8>> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("{url}: only http(s) URLs can be fetched");
    }
    let agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_global(Some(Duration::from_secs(600)))
        .proxy(ureq::Proxy::try_from_env())
        // The system's trust store (SSL_CERT_FILE too): registries behind a company's proxy.
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                .build(),
        )
        .http_status_as_error(false)
        .user_agent(concat!("edgespark/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent();
    let mut request = agent.get(url);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    let mut response = request.call().with_context(|| format!("fetching {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("fetching {url}: the server answered {status}");
    }
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .with_context(|| format!("reading {url}"))
}
