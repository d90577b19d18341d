//! The drift file: the frequency correction in ppm as one decimal number ("-12.345"), read at
//! start and written atomically (temporary file in the same directory, fsync, rename).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use sundial::time::Frequency;

/// Reads the drift file; `Ok(None)` when it does not exist.
pub fn read(path: &Path) -> io::Result<Option<Frequency>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let word = text.split_whitespace().next().unwrap_or("");
    Frequency::parse_decimal_ppm(word).map(Some).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    })
}

/// Writes `freq` (ppm, 3 decimals as ntpd does) atomically.
pub fn write(path: &Path, freq: Frequency) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    {
        let mut f = fs::File::create(tmp)?;
        writeln!(f, "{freq}")?;
        f.sync_all()?;
    }
    fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_round_trip() {
        let dir = std::env::temp_dir().join(format!("sundial-drift-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("ntp.drift");
        assert_eq!(read(&p).unwrap(), None);
        let f = Frequency::from_ppb(-12_345);
        write(&p, f).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "-12.345\n");
        assert_eq!(read(&p).unwrap(), Some(f));
        fs::remove_dir_all(&dir).unwrap();
    }
}
