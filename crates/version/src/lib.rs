//! Version comparators (to be written).
