use super::place::{Place, describe_piece, describe_reply, layout, ordinal};
use crate::grade::Suite;

fn len32(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

#[test]
fn ordinals_read_as_english_writes_them() {
    let all: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 101]
        .into_iter()
        .map(ordinal)
        .collect();
    assert_eq!(
        all,
        [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"
        ]
    );
}

#[test]
fn a_len32_stream_is_cut_into_headers_and_bodies() {
    let mut stream = len32(b"hello");
    stream.extend(len32(b""));
    stream.extend(len32(b"ab"));
    let places = layout(Suite::Len32, &stream);
    let at = |start, body, end| Place {
        start,
        body,
        end,
        newline: false,
    };
    assert_eq!(places, [at(0, 4, 9), at(9, 13, 13), at(13, 17, 19)]);
}

#[test]
fn a_piece_is_placed_in_its_message() {
    let one = layout(Suite::Len32, &len32(b"hello"));
    assert_eq!(
        describe_piece(&one, 1, 2).en(),
        "the 2nd byte of the header"
    );
    assert_eq!(describe_piece(&one, 1, 2).get("zh"), "报头的第 2 个字节");
    assert_eq!(describe_piece(&one, 0, 4).en(), "the whole header");
    assert_eq!(describe_piece(&one, 4, 9).en(), "the whole body");
    let mut two = len32(b"hello");
    two.extend(len32(b"sticky packets"));
    let two = layout(Suite::Len32, &two);
    assert_eq!(
        describe_piece(&two, 11, 16).en(),
        "the last 2 bytes of the header and the first 3 bytes of the body of message 2"
    );
    let lines = layout(Suite::Line, b"hello\nsticky packets\n");
    assert_eq!(
        describe_piece(&lines, 0, 3).en(),
        "the first 3 bytes of line 1"
    );
    assert_eq!(
        describe_piece(&lines, 20, 21).en(),
        "the \\n that ends line 2"
    );
}

#[test]
fn an_early_reply_is_read_as_the_protocol_frames_it() {
    assert_eq!(
        describe_reply(Suite::Len32, &len32(b"")).en(),
        "a 0-byte frame (\"\\0\\0\\0\\0\")"
    );
    let mut two = len32(b"h");
    two.extend(len32(b""));
    assert_eq!(
        describe_reply(Suite::Len32, &two).en(),
        "2 frames (1, 0 bytes)"
    );
    assert_eq!(
        describe_reply(Suite::Len32, b"\0\0").en(),
        "2 bytes that are not a whole frame"
    );
    assert_eq!(
        describe_reply(Suite::Line, b"h\n").en(),
        "a 1-byte line (\"h\\n\")"
    );
}
