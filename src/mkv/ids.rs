//! Matroska element ids used by the reader and the KVS chunk writer (RFC 9559 §5.1), with their
//! marker bits.

/// EBML header.
pub const EBML: u32 = 0x1A45_DFA3;
/// EBMLVersion.
pub const EBML_VERSION: u32 = 0x4286;
/// EBMLReadVersion.
pub const EBML_READ_VERSION: u32 = 0x42F7;
/// EBMLMaxIDLength.
pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
/// EBMLMaxSizeLength.
pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
/// DocType.
pub const DOC_TYPE: u32 = 0x4282;
/// DocTypeVersion.
pub const DOC_TYPE_VERSION: u32 = 0x4287;
/// DocTypeReadVersion.
pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
/// Segment.
pub const SEGMENT: u32 = 0x1853_8067;
/// SeekHead.
pub const SEEK_HEAD: u32 = 0x114D_9B74;
/// Seek.
pub const SEEK: u32 = 0x4DBB;
/// SeekID.
pub const SEEK_ID: u32 = 0x53AB;
/// SeekPosition.
pub const SEEK_POSITION: u32 = 0x53AC;
/// Info.
pub const INFO: u32 = 0x1549_A966;
/// SegmentUID.
pub const SEGMENT_UID: u32 = 0x73A4;
/// Title.
pub const TITLE: u32 = 0x7BA9;
/// MuxingApp.
pub const MUXING_APP: u32 = 0x4D80;
/// WritingApp.
pub const WRITING_APP: u32 = 0x5741;
/// TimestampScale (called TimecodeScale in older specs).
pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
/// Tracks.
pub const TRACKS: u32 = 0x1654_AE6B;
/// TrackEntry.
pub const TRACK_ENTRY: u32 = 0xAE;
/// TrackNumber.
pub const TRACK_NUMBER: u32 = 0xD7;
/// TrackUID.
pub const TRACK_UID: u32 = 0x73C5;
/// TrackType.
pub const TRACK_TYPE: u32 = 0x83;
/// Name.
pub const NAME: u32 = 0x536E;
/// Language.
pub const LANGUAGE: u32 = 0x22_B59C;
/// CodecID.
pub const CODEC_ID: u32 = 0x86;
/// CodecPrivate.
pub const CODEC_PRIVATE: u32 = 0x63A2;
/// DefaultDuration.
pub const DEFAULT_DURATION: u32 = 0x23_E383;
/// CodecDelay.
pub const CODEC_DELAY: u32 = 0x56AA;
/// SeekPreRoll.
pub const SEEK_PRE_ROLL: u32 = 0x56BB;
/// ContentEncodings.
pub const CONTENT_ENCODINGS: u32 = 0x6D80;
/// Video.
pub const VIDEO: u32 = 0xE0;
/// PixelWidth.
pub const PIXEL_WIDTH: u32 = 0xB0;
/// PixelHeight.
pub const PIXEL_HEIGHT: u32 = 0xBA;
/// Audio.
pub const AUDIO: u32 = 0xE1;
/// SamplingFrequency.
pub const SAMPLING_FREQUENCY: u32 = 0xB5;
/// Channels.
pub const CHANNELS: u32 = 0x9F;
/// BitDepth.
pub const BIT_DEPTH: u32 = 0x6264;
/// Cluster.
pub const CLUSTER: u32 = 0x1F43_B675;
/// Cluster Timestamp (Timecode).
pub const TIMESTAMP: u32 = 0xE7;
/// SilentTracks.
pub const SILENT_TRACKS: u32 = 0x5854;
/// Position.
pub const POSITION: u32 = 0xA7;
/// PrevSize.
pub const PREV_SIZE: u32 = 0xAB;
/// SimpleBlock.
pub const SIMPLE_BLOCK: u32 = 0xA3;
/// BlockGroup.
pub const BLOCK_GROUP: u32 = 0xA0;
/// Block.
pub const BLOCK: u32 = 0xA1;
/// BlockDuration.
pub const BLOCK_DURATION: u32 = 0x9B;
/// ReferenceBlock.
pub const REFERENCE_BLOCK: u32 = 0xFB;
/// EncryptedBlock.
pub const ENCRYPTED_BLOCK: u32 = 0xAF;
/// Tags.
pub const TAGS: u32 = 0x1254_C367;
/// Tag.
pub const TAG: u32 = 0x7373;
/// SimpleTag.
pub const SIMPLE_TAG: u32 = 0x67C8;
/// TagName.
pub const TAG_NAME: u32 = 0x45A3;
/// TagString.
pub const TAG_STRING: u32 = 0x4487;
/// TagBinary.
pub const TAG_BINARY: u32 = 0x4485;
