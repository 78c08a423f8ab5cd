//! Soak, TODO
