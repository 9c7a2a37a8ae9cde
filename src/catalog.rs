//! The built-in scenarios, embedded at build time.
