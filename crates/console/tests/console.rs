mod auth;
mod credentials;
mod harness;
mod policies;
mod requests;
mod scans;
mod security;
mod settings;
