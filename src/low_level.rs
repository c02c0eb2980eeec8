//! The building blocks below the operations: time units, EBML and Matroska reading, codec private
//! data, the timeline, the KVS chunk, MP4 and MPEG-TS writers, and the stills of GetImages. Public for benches, fuzzing and anyone who
//! needs one format on its own; the operations are the crate's interface. Their files stay where
//! STYLE.md puts them (`src/ebml/`, `src/mkv/`, ...).

#[path = "codec/mod.rs"]
pub mod codec;
#[path = "ebml/mod.rs"]
pub mod ebml;
#[path = "images/mod.rs"]
pub mod images;
#[path = "kvs/mod.rs"]
pub mod kvs;
#[path = "manifest/mod.rs"]
pub mod manifest;
#[path = "mkv/mod.rs"]
pub mod mkv;
#[path = "model/mod.rs"]
pub mod model;
#[path = "mp4/mod.rs"]
pub mod mp4;
#[path = "time.rs"]
pub mod time;
#[path = "timeline/mod.rs"]
pub mod timeline;
#[path = "ts/mod.rs"]
pub mod ts;
