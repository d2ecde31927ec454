//! Random strings from an alphabet: ids and tokens the platform makes, the values `$defaultFn`
//! generators produce when a schema is read.

/// `len` characters, each drawn from `alphabet` (ASCII) by the thread's generator.
pub fn string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rand::RngExt::random_range(&mut rng, 0..alphabet.len())] as char)
        .collect()
}
