//! Sizes as people read them: `1.5 MB` (powers of 1024).

pub fn human(b: u64) -> String {
    let u = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < u.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", u[i])
}

#[cfg(test)]
mod tests {
    #[test]
    fn powers_of_1024() {
        assert_eq!(super::human(512), "512.0 B");
        assert_eq!(super::human(1536), "1.5 KB");
        assert_eq!(super::human(5 << 30), "5.0 GB");
    }
}
