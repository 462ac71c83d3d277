"""What the catalog knows about a LoRA, as extended attributes; the last error on the root."""
import errno
import os

from conftest import run, sha256_file


def test_a_loras_metadata_is_readable_as_xattrs(mnt, src):
    assert mnt.cp(src.small).returncode == 0, mnt.log()
    path = mnt.p(src.small.name)
    names = set(os.listxattr(path))
    assert {"user.lorafs.sha256", "user.lorafs.object_key", "user.lorafs.rank", "user.lorafs.hidden_size"} <= names, names
    assert os.getxattr(path, "user.lorafs.sha256").decode() == sha256_file(src.small)
    row = mnt.catalog()[src.small.name]
    assert os.getxattr(path, "user.lorafs.object_key").decode() == row["object_key"]
    assert os.getxattr(path, "user.lorafs.hidden_size").decode() == "5120"
    assert int(os.getxattr(path, "user.lorafs.rank")) > 0


def test_the_last_refusal_is_an_xattr_of_the_root(mnt):
    root = mnt.p("")
    assert "user.lorafs.last_error" not in os.listxattr(root)
    try:
        with open(mnt.p("notes.txt"), "w") as f:
            f.write("x")
    except PermissionError:
        pass
    text = os.getxattr(root, "user.lorafs.last_error").decode()
    assert "notes.txt" in text and "(EPERM)" in text, text


def test_only_the_user_namespace_exists_so_ls_l_probes_once_per_listing(mnt, src):
    for i in range(30):
        assert mnt.cp(src.small, f"x{i:02d}.safetensors").returncode == 0, mnt.log()
    path = mnt.p("x00.safetensors")
    for name in ("security.selinux", "system.posix_acl_access", "trusted.x", "security.capability"):
        try:
            os.getxattr(path, name)
            raise AssertionError(f"{name} answered")
        except OSError as e:
            assert e.errno == errno.EOPNOTSUPP, (name, e)
    try:
        os.getxattr(path, "user.other")
        raise AssertionError("user.other answered")
    except OSError as e:
        assert e.errno == errno.ENODATA, e
    assert os.getxattr(path, "user.lorafs.sha256").decode() == sha256_file(src.small)
    # ls -l asks each namespace once, learns it is not supported on this device, and
    # stops: 30 entries, a handful of xattr calls (it was two per entry with ENODATA).
    r = run(["strace", "-f", "-c", "-e", "trace=getxattr,lgetxattr", "ls", "-l", mnt.p("")])
    assert r.returncode == 0, r.stderr
    calls = sum(int(line.split()[3]) for line in r.stderr.splitlines()
                if line.strip().endswith("getxattr") and line.split()[3].isdigit())
    assert calls <= 4, r.stderr
