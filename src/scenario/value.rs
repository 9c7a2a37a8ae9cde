//! TEMPORARY stub (replaced by the parser branch).
use super::ast::Value;
use rand::rngs::StdRng;

pub fn eval(value: &Value, rng: &mut StdRng) -> Vec<u8> {
    let _ = rng;
    match value {
        Value::Literal(b) => b.clone(),
        Value::Pattern(n) => (0..*n).map(|i| b'a' + (i % 26) as u8).collect(),
        Value::Random { min, .. } => vec![b'x'; *min],
        Value::Times(v, n) => eval(v, rng).repeat(*n),
        Value::Concat(vs) => vs.iter().flat_map(|v| eval(v, rng)).collect(),
    }
}

pub fn matches(value: &Value, bytes: &[u8]) -> bool {
    let mut rng = <StdRng as rand::SeedableRng>::seed_from_u64(0);
    eval(value, &mut rng) == bytes
}

pub fn describe(value: &Value) -> String {
    format!("{value:?}")
}
