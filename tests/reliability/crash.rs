//! Crash safety, TODO
