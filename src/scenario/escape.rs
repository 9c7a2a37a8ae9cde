//! TEMPORARY stub (replaced by the report branch).
pub fn escape_bytes(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

pub fn quote(bytes: &[u8]) -> String {
    format!("\"{}\"", escape_bytes(bytes))
}
