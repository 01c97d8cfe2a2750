//! Finding a thread's stack in `/proc/self/maps`, to see how much address
//! space Rust reserves for it.

// ANCHOR: stack
// ANCHOR: mapping
/// A thread's stack mapping, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackMapping {
    /// Where the readable, writable mapping that holds the stack begins.
    pub start: u64,
    /// Its size.
    pub size: u64,
    /// The inaccessible mapping right below it, which turns an overflow into
    /// a crash instead of a silent overwrite; 0 if there is none.
    pub guard: u64,
}
// ANCHOR_END: mapping

/// Finds the mapping that holds `address` in the text of `/proc/<pid>/maps`.
pub fn stack_mapping(maps: &str, address: u64) -> Option<StackMapping> {
    // Each line starts `start-end perms ...`, addresses in hex.
    let parse = |line: &str| -> Option<(u64, u64, bool)> {
        let mut fields = line.split_whitespace();
        let (start, end) = fields.next()?.split_once('-')?;
        let start = u64::from_str_radix(start, 16).ok()?;
        let end = u64::from_str_radix(end, 16).ok()?;
        let inaccessible = fields.next()?.starts_with("---");
        Some((start, end, inaccessible))
    };
    let ranges: Vec<_> = maps.lines().filter_map(parse).collect();
    let &(start, end, _) = ranges
        .iter()
        .find(|&&(start, end, _)| start <= address && address < end)?;
    let guard = ranges
        .iter()
        .find(|&&(_, below_end, inaccessible)| below_end == start && inaccessible)
        .map_or(0, |&(below_start, below_end, _)| below_end - below_start);
    Some(StackMapping {
        start,
        size: end - start,
        guard,
    })
}
// ANCHOR_END: stack

// ANCHOR: resident
/// What the kernel holds in RAM for one mapping, in bytes, from
/// `/proc/<pid>/smaps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MappingResident {
    /// `Rss`: the mapping's pages that are resident.
    pub resident: u64,
    /// `AnonHugePages`: how much of that is transparent huge pages.
    pub huge: u64,
}

/// Finds the mapping that starts at `start` in the text of
/// `/proc/<pid>/smaps` and reads its resident size.
pub fn mapping_resident(smaps: &str, start: u64) -> Option<MappingResident> {
    let header = format!("{start:08x}-");
    let mut lines = smaps.lines().skip_while(|line| !line.starts_with(&header));
    lines.next()?;
    let mut found = MappingResident::default();
    // The fields run until the next mapping's header, `start-end perms ...`.
    let is_field = |line: &&str| {
        line.split_whitespace()
            .next()
            .is_some_and(|f| f.ends_with(':'))
    };
    for line in lines.take_while(is_field) {
        let mut fields = line.split_whitespace();
        let name = fields.next();
        let kib = fields.next().and_then(|kib| kib.parse::<u64>().ok());
        match (name, kib) {
            (Some("Rss:"), Some(kib)) => found.resident = kib * 1024,
            (Some("AnonHugePages:"), Some(kib)) => found.huge = kib * 1024,
            _ => {}
        }
    }
    Some(found)
}
// ANCHOR_END: resident

/// Starts `threads` threads with Rust's default settings, all alive at
/// once, and has each find its own stack in `/proc/self/maps`. Returns the
/// smallest mapping seen: the kernel may merge a stack with a neighbouring
/// mapping, which only ever makes one look bigger.
pub fn default_thread_stack(
    threads: usize,
) -> std::io::Result<Option<StackMapping>> {
    let all_here = std::sync::Barrier::new(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> std::io::Result<Option<StackMapping>> {
                    let on_the_stack = 0u8;
                    let address = (&raw const on_the_stack).addr() as u64;
                    all_here.wait(); // every stack is mapped before anyone looks
                    let maps = std::fs::read_to_string("/proc/self/maps")?;
                    all_here.wait(); // and stays mapped until everyone has looked
                    Ok(stack_mapping(&maps, std::hint::black_box(address)))
                })
            })
            .collect();
        let mut found = Vec::new();
        for handle in handles {
            found.extend(handle.join().expect("the thread does not panic")?);
        }
        Ok(found.into_iter().min_by_key(|stack| stack.size))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = "\
55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]
7f1e2c000000-7f1e2c021000 rw-p 00000000 00:00 0
7f1e2c021000-7f1e30000000 ---p 00000000 00:00 0
7f1e31dff000-7f1e31e00000 ---p 00000000 00:00 0
7f1e31e00000-7f1e32000000 rw-p 00000000 00:00 0
7f1e32000000-7f1e32028000 r--p 00000000 08:01 1234                       /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd5a8e0000-7ffd5a901000 rw-p 00000000 00:00 0                          [stack]
";

    #[test]
    fn the_mapping_holding_the_address_and_its_guard_are_found() {
        let stack = stack_mapping(FIXTURE, 0x7f1e_31ff_f000).unwrap();
        assert_eq!(
            stack,
            StackMapping {
                start: 0x7f1e_31e0_0000,
                size: 2 * 1024 * 1024,
                guard: 4096,
            }
        );
    }

    #[test]
    fn a_mapping_ends_just_before_the_next_one_starts() {
        let next = stack_mapping(FIXTURE, 0x7f1e_3200_0000).unwrap();
        assert_eq!((next.start, next.size), (0x7f1e_3200_0000, 0x28000));
    }

    #[test]
    fn a_mapping_without_an_inaccessible_neighbour_has_no_guard() {
        let heap = stack_mapping(FIXTURE, 0x55d0_c0a0_0010).unwrap();
        assert_eq!(heap.guard, 0);
        assert_eq!(heap.size, 0x21000);
    }

    const SMAPS: &str = "\
7f1e31dff000-7f1e31e00000 ---p 00000000 00:00 0
Size:                  4 kB
Rss:                   0 kB
7f1e31e00000-7f1e32000000 rw-p 00000000 00:00 0
Size:               2048 kB
Rss:                   8 kB
Pss:                   8 kB
AnonHugePages:         0 kB
THPeligible:           0
VmFlags: rd wr mr mw me ac
7f1e32000000-7f1e32200000 rw-p 00000000 00:00 0
Size:               2048 kB
Rss:                2048 kB
AnonHugePages:      2048 kB
VmFlags: rd wr mr mw me ac
";

    #[test]
    fn a_mappings_resident_size_is_read_from_its_own_fields() {
        let stack = mapping_resident(SMAPS, 0x7f1e_31e0_0000).unwrap();
        assert_eq!(
            stack,
            MappingResident {
                resident: 8 * 1024,
                huge: 0
            }
        );
        let huge = mapping_resident(SMAPS, 0x7f1e_3200_0000).unwrap();
        assert_eq!(
            huge,
            MappingResident {
                resident: 2048 * 1024,
                huge: 2048 * 1024
            }
        );
        assert_eq!(mapping_resident(SMAPS, 0x7f1e_3100_0000), None);
    }

    #[test]
    fn an_unmapped_address_is_not_found() {
        assert_eq!(stack_mapping(FIXTURE, 0x1000), None);
    }

    #[test]
    fn a_spawned_thread_gets_a_guarded_stack_of_the_default_size() {
        let _alone = crate::alone();
        let stack = default_thread_stack(8).unwrap().expect("stack found");
        assert!(stack.guard >= 4096, "{stack:?}");
        assert_eq!(stack.size % 4096, 0);
        // The documented default, unless RUST_MIN_STACK asks for another.
        if std::env::var_os("RUST_MIN_STACK").is_none() {
            assert_eq!(stack.size, 2 * 1024 * 1024);
        }
    }
}
