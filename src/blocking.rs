//! Blocking adapters over `std::io::Read` and `std::io::Write`.
