//! Delivery record pages.
