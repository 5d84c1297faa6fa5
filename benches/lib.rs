//! Shared code of the benchmarks (filled in by the benchmark work).
