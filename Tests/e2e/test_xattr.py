"""What the catalog knows about a LoRA, as extended attributes; the last error on the root."""
import os

from conftest import sha256_file


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
