//! MPEG-TS writing (in progress).
