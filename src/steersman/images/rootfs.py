"""Root filesystems for layers: a busybox-static base, or the contents of a local directory.

Invariants:
- The busybox base is one static binary at /bin/busybox plus an absolute symlink to it for
  every applet it reports (`busybox --list-full`), a minimal /etc/passwd and /etc/group (root
  and nobody), and the directories a container expects to exist or be mounted on
  (/dev /proc /sys /tmp /etc /root /var ...). Nothing from the host besides the binary.
- A directory layer keeps file modes, symlinks and hard links (by inode) but not owners or
  times: every entry is root-owned with a fixed mtime, so the layer depends only on content.
  Sockets and devices are skipped (runc creates /dev itself).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from steersman.images.layer import Entry

BUSYBOX = Path("/usr/bin/busybox")
ROOTFS_DIRS: dict[str, int] = {
    "bin": 0o755,
    "dev": 0o755,
    "etc": 0o755,
    "home": 0o755,
    "proc": 0o555,
    "root": 0o700,
    "sbin": 0o755,
    "sys": 0o555,
    "tmp": 0o1777,
    "usr": 0o755,
    "usr/bin": 0o755,
    "usr/sbin": 0o755,
    "var": 0o755,
    "var/tmp": 0o1777,
}
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnobody:x:65534:\n"


def busybox_applets(busybox: Path = BUSYBOX) -> list[str]:
    """Applet install paths (`bin/sh`, `usr/bin/wget`, ...) as the binary itself lists them."""
    out = subprocess.run(
        [str(busybox), "--list-full"], check=True, capture_output=True, text=True
    ).stdout
    return sorted({line.strip().strip("/") for line in out.splitlines() if line.strip()})


def busybox_entries(busybox: Path = BUSYBOX, *, applets: list[str] | None = None) -> list[Entry]:
    """The busybox-static root filesystem. `applets` limits which links are made (all if None)."""
    wanted = busybox_applets(busybox) if applets is None else sorted(applets)
    entries = [Entry(path=d, type="dir", mode=mode) for d, mode in ROOTFS_DIRS.items()]
    entries.append(Entry(path="bin/busybox", type="file", mode=0o755, source=busybox))
    entries.append(Entry(path="etc/passwd", type="file", mode=0o644, data=PASSWD.encode()))
    entries.append(Entry(path="etc/group", type="file", mode=0o644, data=GROUP.encode()))
    dirs = set(ROOTFS_DIRS)
    for applet in wanted:
        path = applet.strip("/")
        if path == "bin/busybox":
            continue
        parent = path.rpartition("/")[0]
        if parent and parent not in dirs:
            dirs.add(parent)
            entries.append(Entry(path=parent, type="dir", mode=0o755))
        # Absolute target: busybox picks the applet from argv[0]'s base name.
        entries.append(Entry(path=path, type="symlink", mode=0o777, linkname="/bin/busybox"))
    return entries


def directory_entries(root: Path) -> list[Entry]:
    """Everything under `root` (not `root` itself), as layer entries in layer order."""
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    found: list[tuple[str, Path]] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in [*_dirnames, *filenames]:
            full = Path(dirpath) / name
            found.append((full.relative_to(root).as_posix(), full))
    # Hard links must point at a path written earlier, so decide which path of an inode is
    # "the file" in the same order the layer is written in.
    found.sort(key=lambda item: tuple(item[0].split("/")))
    first_path_of_inode: dict[tuple[int, int], str] = {}
    entries: list[Entry] = []
    for rel, full in found:
        st = full.lstat()
        mode = stat.S_IMODE(st.st_mode)
        if stat.S_ISDIR(st.st_mode):
            entries.append(Entry(path=rel, type="dir", mode=mode))
        elif stat.S_ISLNK(st.st_mode):
            entries.append(Entry(path=rel, type="symlink", mode=0o777, linkname=os.readlink(full)))
        elif stat.S_ISREG(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if st.st_nlink > 1 and key in first_path_of_inode:
                target = first_path_of_inode[key]
                entries.append(Entry(path=rel, type="hardlink", mode=mode, linkname=target))
                continue
            first_path_of_inode[key] = rel
            entries.append(Entry(path=rel, type="file", mode=mode, source=full))
        elif stat.S_ISFIFO(st.st_mode):
            entries.append(Entry(path=rel, type="fifo", mode=mode))
        # Sockets and device nodes are not image content.
    return entries
