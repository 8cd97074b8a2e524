//! The check stack, assembled in one place, in a fixed order.
