//! Who sent what a recv returned: the bytes of a recv traced back to the sends they
//! came from.

use crate::record::Provenance;

/// Which sends the stream bytes `a..b` came from: sends are `(start, end, seq)` sorted
/// by start, and cover the stream without gaps.
pub(crate) fn provenance(sends: &[(u64, u64, u64)], a: u64, b: u64) -> Vec<Provenance> {
    if a >= b {
        return Vec::new();
    }
    let first = sends.partition_point(|&(_, end, _)| end <= a);
    sends[first..]
        .iter()
        .take_while(|&&(start, _, _)| start < b)
        .filter(|&&(start, end, _)| end > start)
        .map(|&(start, end, seq)| Provenance {
            send: seq,
            bytes: (a.max(start) - start, b.min(end) - start),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::provenance;
    use crate::record::Provenance;

    #[test]
    fn a_recv_spanning_two_sends_names_both() {
        // send #1 = "hello" (0..5), send #2 = "world" (5..10)
        let sends = [(0, 5, 1), (5, 10, 2)];
        assert_eq!(
            provenance(&sends, 0, 10),
            vec![
                Provenance {
                    send: 1,
                    bytes: (0, 5)
                },
                Provenance {
                    send: 2,
                    bytes: (0, 5)
                }
            ]
        );
        assert_eq!(
            provenance(&sends, 3, 7),
            vec![
                Provenance {
                    send: 1,
                    bytes: (3, 5)
                },
                Provenance {
                    send: 2,
                    bytes: (0, 2)
                }
            ]
        );
        assert_eq!(
            provenance(&sends, 5, 6),
            vec![Provenance {
                send: 2,
                bytes: (0, 1)
            }]
        );
        assert!(provenance(&sends, 4, 4).is_empty());
    }

    #[test]
    fn empty_sends_are_skipped() {
        let sends = [(0, 3, 1), (3, 3, 2), (3, 6, 3)];
        assert_eq!(
            provenance(&sends, 0, 6),
            vec![
                Provenance {
                    send: 1,
                    bytes: (0, 3)
                },
                Provenance {
                    send: 3,
                    bytes: (0, 3)
                }
            ]
        );
    }
}
