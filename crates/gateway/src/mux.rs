//! Shared mode: many client sessions multiplexed over one upstream, with id rewriting.
