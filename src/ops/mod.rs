//! One module per user-visible operation: plain options in, a report (or an error) out. The
//! command line renders what these return; they call the engines and the base below them.

pub mod app_run;
pub mod auth;
pub mod build;
pub mod check;
pub mod deploy;
pub mod dev;
pub mod dev_schema;
pub mod diff;
pub mod doctor;
pub mod generate;
pub mod init;
pub mod log;
pub mod migrate;
pub mod pull;
pub mod routes;
pub mod runtime_config;
pub mod secret_page;
pub mod serve;
pub mod storage;
pub mod watch;
