mod engine;
mod report;
