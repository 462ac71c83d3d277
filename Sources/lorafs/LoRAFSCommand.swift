import ArgumentParser

@main
struct LoRAFSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lorafs",
        abstract: "Mount a workspace of WAN 2.2 LoRAs stored in S3 as a filesystem.",
        discussion: """
            Copying a .safetensors or .ckpt file into the mount validates it and uploads it to S3;
            `ls -l` shows the catalog; `mv` renames; `rm` deletes. See lorafs(1).

              lorafs mount /mnt/loras --bucket my-loras
              cp style.safetensors /mnt/loras/
              lorafs unmount /mnt/loras
            """,
        subcommands: [MountCommand.self, UnmountCommand.self, RefreshCommand.self, ListCommand.self, CheckCommand.self, CatalogCommand.self]
    )
}
