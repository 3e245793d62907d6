mod auth;
mod credentials;
mod harness;
mod requests;
mod settings;
