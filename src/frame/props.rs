//! The property the tool is about, over generated input (proptest): however a stream
//! is cut into recvs, every codec decodes the same frames, and on bytes that are not
//! frames at all it finds the same frames and then the same error.
//!
//! `testkit::assert_survives_any_chunking` tries fixed bodies with seeded cuts; here the
//! bodies and the cuts are both generated, and a failure shrinks to a small case.

use proptest::prelude::*;

use super::testkit::{decode_chunks, encode_all};
use super::{Decoder, FrameError};
use crate::frame::{Codec, DEFAULT_MAX_FRAME};

/// `stream` cut into pieces whose sizes are `sizes` (each at least 1), used in turn and
/// again from the start until the stream is used up.
fn cut<'a>(stream: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::new();
    let mut rest = stream;
    for &size in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(size.clamp(1, rest.len()));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// Recv sizes: mostly tiny, so that frames and even length prefixes are split.
fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![3 => 1usize..=3, 2 => 1usize..=64], 1..12)
}

fn body(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max_len)
}

/// Bodies that each codec can carry and give back unchanged, with the codec.
fn codec_and_bodies() -> impl Strategy<Value = (Codec, Vec<Vec<u8>>)> {
    fn bodies(body: BoxedStrategy<Vec<u8>>) -> impl Strategy<Value = Vec<Vec<u8>>> {
        prop::collection::vec(body, 0..8)
    }
    prop_oneof![
        bodies(body(80).boxed()).prop_map(|b| (Codec::Len32, b)),
        bodies(body(80).boxed()).prop_map(|b| (Codec::Len32Le, b)),
        bodies(body(80).boxed()).prop_map(|b| (Codec::JsonHeader, b)),
        // A line body has no `\n` inside and does not end in `\r` (line.rs says why).
        bodies(
            body(40)
                .prop_map(|mut b| {
                    b.retain(|&c| c != b'\n');
                    while b.last() == Some(&b'\r') {
                        b.pop();
                    }
                    b
                })
                .boxed()
        )
        .prop_map(|b| (Codec::Line, b)),
        // `fixed 0` is an empty frame forever, without consuming a byte: not a stream.
        (1usize..=24).prop_flat_map(|n| {
            bodies(prop::collection::vec(any::<u8>(), n).boxed())
                .prop_map(move |b| (Codec::Fixed(n), b))
        }),
    ]
}

fn any_codec() -> impl Strategy<Value = Codec> {
    prop_oneof![
        Just(Codec::Len32),
        Just(Codec::Len32Le),
        Just(Codec::JsonHeader),
        Just(Codec::Line),
        (1usize..=8).prop_map(Codec::Fixed),
    ]
}

/// Every frame the chunks give before the decoder stops, and why it stopped (`None`:
/// the stream ended cleanly at a frame boundary).
fn frames_then_error(
    codec: Codec,
    max_frame: usize,
    chunks: &[&[u8]],
) -> (Vec<Vec<u8>>, Option<FrameError>) {
    let mut decoder = Decoder::new(codec, max_frame);
    let mut frames = Vec::new();
    // Asked before any byte too, as a `recv frame` step asks its decoder before its
    // first recv(): `fixed 3` over a `max-frame` of 0 is refused then, bytes or none.
    let first: &[u8] = &[];
    for chunk in std::iter::once(&first).chain(chunks) {
        decoder.push(chunk);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => break,
                Err(error) => return (frames, Some(error)),
            }
        }
    }
    (frames, decoder.finish().err())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_codec_decodes_any_chunking_to_the_frames_sent(
        (codec, bodies) in codec_and_bodies(),
        sizes in chunk_sizes(),
    ) {
        let refs: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
        let stream = encode_all(codec, &refs);
        let decoded = decode_chunks(codec, DEFAULT_MAX_FRAME, &cut(&stream, &sizes));
        prop_assert_eq!(decoded, Ok(bodies));
    }

    #[test]
    fn any_bytes_give_the_same_frames_and_error_however_they_are_cut(
        codec in any_codec(),
        stream in body(200),
        max_frame in 0usize..48,
        sizes in chunk_sizes(),
    ) {
        let whole = frames_then_error(codec, max_frame, &[&stream]);
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        prop_assert_eq!(&frames_then_error(codec, max_frame, &bytewise), &whole);
        prop_assert_eq!(&frames_then_error(codec, max_frame, &cut(&stream, &sizes)), &whole);
    }
}
