"""Confine the process that runs a learner's untrusted code (the worker).

The worker calls ``apply(policy)`` on itself once, while it is still single-threaded and before it
imports anything of the learner's. Every layer is irreversible for the code that runs afterwards,
also when the worker runs as root (as it does in CI):

pdeathsig      The kernel SIGKILLs the worker when the judge dies, so an endless loop never
               outlives the judge (seccomp stops the learner from unsetting it).
rlimits        Address space, file size and open files are capped with soft = hard, no core dumps:
               a runaway allocation raises MemoryError instead of swapping the machine to death.
capabilities   Root drops every capability (bounding, ambient, permitted, effective, inheritable):
               root without capabilities cannot raise its limits, bypass file permissions, load
               kernel modules or trace other processes, and no exec can give them back.
no_new_privs   No execve can ever grant privileges again (setuid binaries, file capabilities); it
               is also what lets a process without CAP_SYS_ADMIN use Landlock and seccomp.
Landlock       The filesystem: read and execute only what the policy names, write only beneath
               its write folders, whatever the file permissions say (root owns /usr: without
               Landlock a capability-less root could still rewrite the standard library). ABI 4+:
               no TCP bind or connect. ABI 6+: no signals and no abstract unix sockets to
               processes outside the sandbox.
seccomp        The system calls: no new processes (threads are fine), signals and scheduling only
               on itself, no sockets, ptrace, io_uring, namespaces, mounts, BPF, keyrings or kernel
               modules. Without it a root worker could kill(-1, SIGKILL) every root process.

A layer the kernel cannot provide is named in ``Report.missing`` and the others still apply; any
other failure raises, because a worker that believes it is confined and is not is worse than one
that knows. Only Linux confines; elsewhere ``apply`` changes nothing and says so.

Command line, for workers that are not Python (the program inherits every layer)::

    python -m ugrad_quest.worker.confine [--report] [--report-env NAME] POLICY_JSON -- PROGRAM ARGS...

``--report`` prints what was applied on stderr; ``--report-env NAME`` hands it to the program as the
environment variable NAME (JSON), so a worker in another language can say it in its hello.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import signal
import stat
import sys

EXIT_ORPHANED = 70
"""Exit code when the judge that started us is already gone (we were adopted before pdeathsig was set)."""

# prctl(2) options, from linux/prctl.h.
PR_SET_PDEATHSIG = 1
PR_GET_SECCOMP = 21
PR_SET_SECCOMP = 22
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PRCTL_ARGS = 4  # after the option

# Capabilities, from linux/capability.h.
LINUX_CAPABILITY_VERSION_3 = 0x20080522
CAP_SETPCAP = 8
CAP_LAST_CAP_FILE = "/proc/sys/kernel/cap_last_cap"
CAP_MAX = 63  # capabilities are 64-bit masks

# Landlock, from linux/landlock.h. The syscall numbers are the same on every architecture.
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1 << 0
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE = 1 << 0
FS_WRITE_FILE = 1 << 1
FS_READ_FILE = 1 << 2
FS_READ_DIR = 1 << 3
FS_REMOVE_DIR = 1 << 4
FS_REMOVE_FILE = 1 << 5
FS_MAKE_CHAR = 1 << 6
FS_MAKE_DIR = 1 << 7
FS_MAKE_REG = 1 << 8
FS_MAKE_SOCK = 1 << 9
FS_MAKE_FIFO = 1 << 10
FS_MAKE_BLOCK = 1 << 11
FS_MAKE_SYM = 1 << 12
FS_REFER = 1 << 13       # ABI 2
FS_TRUNCATE = 1 << 14    # ABI 3
FS_IOCTL_DEV = 1 << 15   # ABI 5
FS_ABI_1 = (1 << 13) - 1  # bits 0-12
FS_BY_ABI = {1: FS_ABI_1, 2: FS_REFER, 3: FS_TRUNCATE, 5: FS_IOCTL_DEV}
"""The filesystem rights each ABI version added."""
FS_FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
"""The only rights a rule on a non-directory may carry (the kernel refuses others with EINVAL)."""
FS_READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR

NET_BIND_TCP = 1 << 0     # ABI 4
NET_CONNECT_TCP = 1 << 1
NET_ABI = 4
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1
SCOPE_ABI = 6
RULESET_ATTR_SIZE = {1: 8, NET_ABI: 16, SCOPE_ABI: 24}
"""sizeof(struct landlock_ruleset_attr) as of the ABI that added its last field."""

LANDLOCK_GAPS = (
    (3, "Landlock ABI {abi} cannot stop truncating readable files (needs ABI 3, Linux 6.2)"),
    (NET_ABI, "Landlock ABI {abi} cannot restrict TCP (needs ABI 4, Linux 6.7); seccomp still refuses sockets"),
    (5, "Landlock ABI {abi} cannot restrict ioctl on devices (needs ABI 5, Linux 6.10)"),
    (SCOPE_ABI, "Landlock ABI {abi} cannot scope signals and abstract unix sockets (needs ABI 6, Linux 6.12); "
                "seccomp still limits signals"),
)
"""What an older ABI leaves open. ABI 1 without REFER is no gap: it refuses every cross-folder rename."""

# seccomp, from linux/seccomp.h, linux/filter.h and linux/audit.h.
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
ERRNO_MASK = 0xFFFF
BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_JGE_K = 0x35
BPF_JSET_K = 0x45
BPF_RET_K = 0x06
BPF_MAX_JUMP = 255  # jt and jf are u8
SECCOMP_DATA_NR = 0
SECCOMP_DATA_ARCH = 4
SECCOMP_DATA_ARGS = 16  # u64 args[6]; the low 32 bits come first on little-endian machines
SECCOMP_ARG_SIZE = 8
X32_SYSCALL_BIT = 0x40000000
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
CLONE_THREAD = 0x00010000
PRIO_PROCESS = 0
IOPRIO_WHO_PROCESS = 1

# x86_64 numbers from asm/unistd_64.h.
SYSCALLS_X86_64 = {
    "fork": 57, "vfork": 58, "clone": 56, "clone3": 435,
    "kill": 62, "tgkill": 234, "tkill": 200, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
    "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
    "prlimit64": 302, "setpriority": 141, "sched_setaffinity": 203, "sched_setscheduler": 144,
    "sched_setparam": 142, "sched_setattr": 314, "ioprio_set": 251, "prctl": 157,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "socket": 41,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248,
    "request_key": 249, "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168,
}
# aarch64 numbers from asm-generic/unistd.h; aarch64 has no fork or vfork (glibc uses clone).
SYSCALLS_AARCH64 = {
    "clone": 220, "clone3": 435,
    "kill": 129, "tgkill": 131, "tkill": 130, "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240,
    "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
    "prlimit64": 261, "setpriority": 140, "sched_setaffinity": 122, "sched_setscheduler": 119,
    "sched_setparam": 118, "sched_setattr": 274, "ioprio_set": 30, "prctl": 167,
    "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "socket": 198,
    "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
    "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219, "add_key": 217,
    "request_key": 218, "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
    "finit_module": 273, "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225,
}
SYSCALLS = {"x86_64": SYSCALLS_X86_64, "aarch64": SYSCALLS_AARCH64}

REFUSED = (
    "fork", "vfork", "tkill", "pidfd_send_signal", "pidfd_open", "pidfd_getfd",
    "ptrace", "process_vm_readv", "process_vm_writev", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "socket", "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
)
"""System calls that fail with EPERM whatever their arguments."""
SIGNALS = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")
"""Allowed only when args[0] is our own pid. Not 0: kill(0, sig) signals our whole process group,
which holds the judge unless it gave us a group of our own (for the others 0 is merely invalid)."""
SELF_ONLY = ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr")
"""Allowed only when args[0] (a pid, 0 for the caller) is 0 or our own pid."""

SYSTEM_READ_PATHS = (
    "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/local/lib", "/etc/ld.so.cache", "/etc/localtime",
    "/dev/null", "/dev/urandom", "/dev/zero", "/sys/devices/system/cpu", "/proc/self",
)
"""Shared libraries, the loader's cache, the time zone, the CPU count and our own /proc entry."""


_POLICY_FIELDS = {
    "read": (), "write": (), "hide": (), "memory_bytes": 4 * 2**30, "file_bytes": 256 * 2**20,
    "open_files": 256, "parent_pid": None,
}


class Policy:
    """What the worker may do. (A plain class, not a dataclass: the worker starts on every check, and
    dataclasses pulls in inspect, about a third of its start-up.)"""

    read: tuple[str, ...]
    """Files and folders the worker may read and execute (folders: everything beneath)."""
    write: tuple[str, ...]
    """Folders the worker may read and change beneath (create, remove, truncate, write)."""
    hide: tuple[str, ...]
    """Paths beneath some read folder whose files stay unreadable; the folder can still be listed."""
    memory_bytes: int | None
    """RLIMIT_AS, soft = hard."""
    file_bytes: int | None
    """RLIMIT_FSIZE, soft = hard."""
    open_files: int | None
    """RLIMIT_NOFILE, soft = hard."""
    parent_pid: int | None
    """Die with this process; exit at once with EXIT_ORPHANED if it is already not our parent."""

    def __init__(self, **fields) -> None:
        unknown = set(fields) - set(_POLICY_FIELDS)
        if unknown:
            raise TypeError(f"Policy has no field {sorted(unknown)[0]!r}")
        for name, default in _POLICY_FIELDS.items():
            object.__setattr__(self, name, fields.get(name, default))
        # The judge builds policies from JSON: accept lists and path objects, keep tuples of str.
        for name in ("read", "write", "hide"):
            paths = getattr(self, name)
            if isinstance(paths, (str, bytes, os.PathLike)):
                raise TypeError(f"Policy.{name} is a list of paths, not one path")
            object.__setattr__(self, name, tuple(os.fspath(p) for p in paths))
        for name in ("memory_bytes", "file_bytes", "open_files", "parent_pid"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"Policy.{name} must be a non-negative int or None, not {value!r}")

    def __setattr__(self, name, value):
        raise AttributeError("a Policy cannot be changed")

    def __eq__(self, other) -> bool:
        return isinstance(other, Policy) and vars(self) == vars(other)

    def __repr__(self) -> str:
        return "Policy(" + ", ".join(f"{k}={v!r}" for k, v in vars(self).items()) + ")"


class Report:
    """What apply() could put in place."""

    def __init__(self, landlock_abi: int = 0, seccomp: bool = False, capabilities_dropped: bool = False,
                 limits: bool = False, missing: list[str] | None = None):
        self.landlock_abi = landlock_abi
        """The Landlock ABI the ruleset was built for; 0 when Landlock was not applied."""
        self.seccomp = seccomp
        self.capabilities_dropped = capabilities_dropped
        """True when we had capabilities and dropped them all (root), or had none."""
        self.limits = limits
        self.missing = [] if missing is None else missing
        """One short reason per protection that could not be applied."""

    def to_dict(self) -> dict:
        return {"landlock_abi": self.landlock_abi, "seccomp": self.seccomp,
                "capabilities_dropped": self.capabilities_dropped, "limits": self.limits,
                "missing": list(self.missing), "confined": self.confined}

    def __eq__(self, other) -> bool:
        return isinstance(other, Report) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Report({self.to_dict()!r})"

    @property
    def confined(self) -> bool:
        return self.landlock_abi > 0 and self.seccomp


def default_read_paths() -> list[str]:
    """What a Python interpreter needs to keep importing the stdlib and site-packages once confined.

    Not /etc (secrets live there), not /tmp (other processes' files), not /proc (other processes).
    """
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    # Every existing sys.path entry: folders, and zip archives, which zipimport must read as well.
    candidates += [path for path in sys.path if path]
    candidates += SYSTEM_READ_PATHS
    paths: list[str] = []
    for path in map(os.path.abspath, candidates):
        if path not in paths and os.path.exists(path):
            paths.append(path)
    return paths


def apply(policy: Policy) -> Report:
    """Confine this process for good, layer by layer (see the module docstring); say what was missing."""
    if not sys.platform.startswith("linux"):
        return Report(missing=[f"confinement needs Linux, this is {sys.platform}: nothing was applied"])
    _require_single_thread()
    # Planned first: a contradictory policy raises before anything irreversible happens.
    rules = _landlock_plan(policy)
    report = Report()
    if policy.parent_pid is not None:
        die_with(policy.parent_pid)
    _limit_resources(policy)
    report.limits = True
    report.capabilities_dropped = _drop_capabilities(report.missing)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)
    report.landlock_abi = _landlock(rules, report.missing)
    report.seccomp = _seccomp(report.missing)
    return report


# --- system calls ---------------------------------------------------------------------------------

@functools.cache
def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _checked(result: int, what: str) -> int:
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")
    return result


def _c_args(args) -> list:
    # prctl and syscall are variadic: integers must be passed as full-width longs.
    return [ctypes.c_ulong(arg) if isinstance(arg, int) else arg for arg in args]


def _prctl(option: int, *args) -> int:
    # Some options insist that the unused arguments are 0, not whatever the registers held.
    args += (0,) * (PRCTL_ARGS - len(args))
    return _checked(_libc().prctl(ctypes.c_int(option), *_c_args(args)), f"prctl({option})")


def _syscall(number: int, *args) -> int:
    return _checked(_libc().syscall(ctypes.c_long(number), *_c_args(args)), f"syscall({number})")


def _require_single_thread() -> None:
    # capset, landlock_restrict_self and PR_SET_SECCOMP confine only the calling thread.
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc: nothing to check against
        return
    if threads > 1:
        raise RuntimeError(f"apply() must run before any thread starts ({threads} are running): "
                           "the kernel would confine only the calling one")


# --- pdeathsig and rlimits ------------------------------------------------------------------------

def die_with(parent_pid: int) -> None:
    """Be killed when parent_pid (our parent) ends; exit at once if it already has."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # If the parent died before the line above, we were adopted already and no signal will come.
    if os.getppid() != parent_pid:
        os._exit(EXIT_ORPHANED)


def _limit_resources(policy: Policy) -> None:
    import resource  # not on Windows, and only Linux gets here

    limits = ((resource.RLIMIT_AS, policy.memory_bytes), (resource.RLIMIT_FSIZE, policy.file_bytes),
              (resource.RLIMIT_NOFILE, policy.open_files), (resource.RLIMIT_CORE, 0))
    for limit, value in limits:
        if value is None:
            continue
        hard = resource.getrlimit(limit)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)  # lowering only: raising a hard limit needs a capability
        # soft = hard, so the learner cannot raise the soft limit back up to a higher hard one.
        resource.setrlimit(limit, (value, value))


# --- capabilities ---------------------------------------------------------------------------------

class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_CapSets = _CapData * 2  # version 3: low 32 capabilities, then high 32


def _capabilities() -> tuple[int, int, int]:
    """(effective, permitted, inheritable) of this thread, as 64-bit masks."""
    data = _CapSets()
    _checked(_libc().capget(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), data), "capget")
    return tuple(getattr(data[0], name) | getattr(data[1], name) << 32
                 for name in ("effective", "permitted", "inheritable"))


def _last_capability() -> int:
    try:
        with open(CAP_LAST_CAP_FILE) as fh:
            return int(fh.read())
    except OSError:  # no /proc: ask the kernel cap by cap until it says there is no such cap
        last = -1
        while last < CAP_MAX:
            try:
                _prctl(PR_CAPBSET_READ, last + 1)
            except OSError:
                break
            last += 1
        return last


def _drop_capabilities(missing: list[str]) -> bool:
    effective, permitted, inheritable = _capabilities()
    if not (effective | permitted | inheritable):  # the ambient set is a subset of permitted
        return True
    if effective & (1 << CAP_SETPCAP):
        # Emptied so that not even an exec of a root-owned program can regain a capability.
        for cap in range(_last_capability() + 1):
            _prctl(PR_CAPBSET_DROP, cap)
    else:
        missing.append("the capability bounding set was kept (no CAP_SETPCAP); no_new_privs still "
                       "stops an exec from regaining capabilities")
    try:
        _prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    except OSError as exc:
        if exc.errno != errno.EINVAL:  # EINVAL: a kernel before 4.3 has no ambient set to clear
            raise
    _checked(_libc().capset(ctypes.byref(_CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), _CapSets()), "capset")
    return _capabilities() == (0, 0, 0)


# --- Landlock -------------------------------------------------------------------------------------

class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _landlock_plan(policy: Policy) -> list[tuple[str, str]]:
    """(real path, "read" | "list" | "write") rules; Landlock works on inodes, so paths are resolved."""
    hidden = [os.path.realpath(path) for path in policy.hide]
    writable = [os.path.realpath(path) for path in policy.write]
    for secret in hidden:
        for folder in writable:
            if _within(secret, folder) or _within(folder, secret):
                raise ValueError(f"hide path {secret} overlaps write folder {folder}, where every file is readable")
    plan = [(folder, "write") for folder in writable]
    for path in policy.read:
        plan += _read_plan(os.path.realpath(path), hidden)
    return plan


def _read_plan(path: str, hidden: list[str]) -> list[tuple[str, str]]:
    """Read rules for path that leave every hidden path's files unreadable.

    Landlock rights are inherited by everything beneath a rule, so a folder containing a hidden path
    only gets READ_DIR (Python's import system lists it for its path cache), and each entry in it
    gets its own rule, except the hidden one, recursing towards every hidden path.
    """
    if any(_within(path, secret) for secret in hidden):
        # Hide wins over read, but for a file named on its own: the judge names the quest's helper modules
        # one by one (the optimize baseline, the tensor quest's _batched.py), which a wheel installs inside
        # the tool's hidden folder, beside the hidden tests that stay unreadable.
        return [(path, "read")] if os.path.isfile(path) else []
    inside = [secret for secret in hidden if _within(secret, path)]
    if not inside:
        return [(path, "read")]
    try:
        entries = os.scandir(path)
    except FileNotFoundError:
        return []
    except NotADirectoryError:  # a file holds no hidden path
        return [(path, "read")]
    plan = [(path, "list")]
    with entries:
        for entry in entries:
            # A symlink's target is not beneath path for Landlock: it is granted where it lives, if anywhere.
            if not entry.is_symlink():
                plan += _read_plan(entry.path, inside)
    return plan


def _landlock_abi(missing: list[str]) -> int:
    abi = _libc().syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                          ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    if abi >= 0:
        return abi
    code = ctypes.get_errno()
    if code == errno.ENOSYS:
        missing.append("Landlock is not available on this kernel (needs Linux 5.13+)")
    elif code == errno.EOPNOTSUPP:
        missing.append("Landlock is disabled on this kernel (it is not in the lsm= boot parameter)")
    else:
        raise OSError(code, f"landlock_create_ruleset(VERSION): {os.strerror(code)}")
    return 0


def _landlock(plan: list[tuple[str, str]], missing: list[str]) -> int:
    abi = _landlock_abi(missing)
    if not abi:
        return 0
    handled_fs = sum(rights for version, rights in FS_BY_ABI.items() if abi >= version)
    attr = _RulesetAttr(handled_access_fs=handled_fs,
                        # Handled with no rule allowing any port: no TCP bind or connect at all.
                        handled_access_net=NET_BIND_TCP | NET_CONNECT_TCP if abi >= NET_ABI else 0,
                        scoped=SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= SCOPE_ABI else 0)
    size = RULESET_ATTR_SIZE[max(version for version in RULESET_ATTR_SIZE if abi >= version)]
    ruleset = _syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    try:
        for path, kind in plan:
            rights = {"read": FS_READ, "list": FS_READ_DIR, "write": handled_fs}[kind]
            if kind == "read" and path == os.devnull:
                rights |= FS_WRITE_FILE  # so that `> /dev/null` keeps working
            _add_path_rule(ruleset, path, rights & handled_fs)
        _syscall(SYS_LANDLOCK_RESTRICT_SELF, ruleset, 0)
    finally:
        os.close(ruleset)
    missing += [gap.format(abi=abi) for version, gap in LANDLOCK_GAPS if abi < version]
    return abi


def _add_path_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return  # a path that does not exist needs no rule
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= FS_FILE_ONLY
        if rights:
            _syscall(SYS_LANDLOCK_ADD_RULE, ruleset, LANDLOCK_RULE_PATH_BENEATH,
                     ctypes.byref(_PathBeneathAttr(rights, fd)), 0)
    finally:
        os.close(fd)


# --- seccomp --------------------------------------------------------------------------------------

class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _errno(code: int) -> int:
    return SECCOMP_RET_ERRNO | (code & ERRNO_MASK)


def _load(offset: int) -> tuple[int, int, int, int]:
    return (BPF_LD_W_ABS, 0, 0, offset)


def _ret(action: int) -> tuple[int, int, int, int]:
    return (BPF_RET_K, 0, 0, action)


def _arg(index: int) -> int:
    return SECCOMP_DATA_ARGS + SECCOMP_ARG_SIZE * index


def _rule(nr: int, checks=(), then: int = SECCOMP_RET_ALLOW, otherwise: int = _errno(errno.EPERM)) -> list:
    """A self-contained block: for syscall nr, return `then` when every check holds, else `otherwise`.

    Any other syscall falls through to the next block with the syscall number still loaded, so
    every jump stays inside its block, far below BPF's 255-instruction limit. A check is
    (arg index, values) for "the arg's low 32 bits are one of values", or (arg index, mask) for
    "the arg has a bit of mask set".
    """
    if not checks:
        body = [_ret(then)]
    else:
        starts, size = [], 0
        for _, wanted in checks:
            starts.append(size)
            size += 1 + (len(wanted) if isinstance(wanted, tuple) else 1)
        then_at, otherwise_at = size, size + 1
        body = []
        for i, (index, wanted) in enumerate(checks):
            passed = starts[i + 1] if i + 1 < len(checks) else then_at
            body.append(_load(_arg(index)))
            if isinstance(wanted, tuple):
                for j, value in enumerate(wanted):
                    here = len(body)
                    failed = here + 1 if j + 1 < len(wanted) else otherwise_at
                    body.append((BPF_JEQ_K, passed - here - 1, failed - here - 1, value))
            else:
                here = len(body)
                body.append((BPF_JSET_K, passed - here - 1, otherwise_at - here - 1, wanted))
        body += [_ret(then), _ret(otherwise)]
    return [(BPF_JEQ_K, 0, len(body), nr)] + body


def _filter(arch: str, pid: int) -> list[tuple[int, int, int, int]]:
    nr = SYSCALLS[arch]
    program = [
        _load(SECCOMP_DATA_ARCH),
        # Another ABI (i386 through int 0x80) has other numbers: nothing below would mean anything.
        (BPF_JEQ_K, 1, 0, AUDIT_ARCH[arch]),
        _ret(SECCOMP_RET_KILL_PROCESS),
        _load(SECCOMP_DATA_NR),
    ]
    if arch == "x86_64":  # x32 syscalls are the same calls under other numbers
        program += [(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT), _ret(_errno(errno.EPERM))]
    # glibc falls back to clone when clone3 is missing; clone can only check flags in a register.
    program += _rule(nr["clone3"], then=_errno(errno.ENOSYS))
    program += _rule(nr["clone"], [(0, CLONE_THREAD)])
    for name in SIGNALS:
        program += _rule(nr[name], [(0, (pid,))])
    for name in SELF_ONLY:
        program += _rule(nr[name], [(0, (0, pid))])
    program += _rule(nr["setpriority"], [(0, (PRIO_PROCESS,)), (1, (0, pid))])
    program += _rule(nr["ioprio_set"], [(0, (IOPRIO_WHO_PROCESS,)), (1, (0, pid))])
    # Unsetting the parent-death signal would let a worker outlive its judge.
    program += _rule(nr["prctl"], [(0, (PR_SET_PDEATHSIG,))], then=_errno(errno.EPERM), otherwise=SECCOMP_RET_ALLOW)
    for name in REFUSED:
        if name in nr:  # aarch64 has no fork or vfork
            program += _rule(nr[name], then=_errno(errno.EPERM))
    program.append(_ret(SECCOMP_RET_ALLOW))
    # ctypes would silently truncate a longer jump to 8 bits, making a different filter.
    if any(jt > BPF_MAX_JUMP or jf > BPF_MAX_JUMP for _, jt, jf, _ in program):
        raise RuntimeError("a seccomp jump is longer than classic BPF allows")
    return program


def _seccomp(missing: list[str]) -> bool:
    arch = os.uname().machine
    if arch not in SYSCALLS or sys.maxsize < 2**32:
        bits = 64 if sys.maxsize > 2**32 else 32
        missing.append(f"no seccomp filter for {arch} with a {bits}-bit Python (written for 64-bit x86_64 and aarch64)")
        return False
    try:
        _prctl(PR_GET_SECCOMP)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        missing.append("seccomp is not available on this kernel (built without CONFIG_SECCOMP)")
        return False
    program = _filter(arch, os.getpid())
    instructions = (_SockFilter * len(program))(*program)
    _prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(_SockFprog(len(program), instructions)))
    return True


# --- command line ---------------------------------------------------------------------------------

USAGE = "usage: python -m ugrad_quest.worker.confine [--report] [--report-env NAME] POLICY_JSON -- PROGRAM ARGS..."
EXIT_USAGE = 2
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127


def main(argv: list[str]) -> int:
    import json
    import shutil

    if "--" not in argv:
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    want_report = "--report" in options
    options = [option for option in options if option != "--report"]
    report_env = None
    if "--report-env" in options:
        at = options.index("--report-env")
        if at + 1 >= len(options):
            print(USAGE, file=sys.stderr)
            return EXIT_USAGE
        report_env = options[at + 1]
        del options[at:at + 2]
    if len(options) != 1 or not command:
        print(USAGE, file=sys.stderr)
        return EXIT_USAGE
    try:
        policy = Policy(**json.loads(options[0]))
    except (ValueError, TypeError) as exc:
        print(f"confine: bad policy: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Looked up before confinement, which may hide the folders on PATH.
    program = command[0] if os.sep in command[0] else shutil.which(command[0])
    if program is None:
        print(f"confine: {command[0]}: command not found", file=sys.stderr)
        return EXIT_NOT_FOUND
    report = apply(policy)
    if want_report:
        print(json.dumps(report.to_dict()), file=sys.stderr, flush=True)
    if report_env:
        os.environ[report_env] = json.dumps(report.to_dict())
    # Python ignores SIGPIPE and SIGXFSZ, and exec keeps ignored signals ignored: restore the
    # defaults a program expects, as subprocess does.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(signum, signal.SIG_DFL)
    try:
        os.execv(program, command)
    except OSError as exc:
        print(f"confine: cannot run {command[0]}: {exc}", file=sys.stderr)
        return EXIT_CANNOT_EXECUTE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
