"""`tfstyle datasets [info SOURCE]`: list known dataset sources or describe one."""


def add_parser(sub, help_line):
    parser = sub.add_parser("datasets", help=help_line, description=help_line)
    parser.add_argument("action", nargs="?", choices=["list", "info"], default="list")
    parser.add_argument("source", nargs="?", help="source name or folder (for `info`)")
    parser.add_argument("--data-dir", help="TFDS data folder (default: TFDS's own)")
    parser.set_defaults(run=run)


def run(args):
    from tfstyle.data import sources

    if args.action == "info":
        if not args.source:
            print("usage: tfstyle datasets info SOURCE")
            return 2
        info = sources.describe(args.source, data_dir=args.data_dir)
        print(f"source:   {info['name']} ({info['kind']})")
        print(f"location: {info['location']}{'' if info['prepared'] else '  (not downloaded yet)'}")
        print("splits:")
        for split, count in info["splits"].items():
            print(f"  {split:<10} {count if count is not None else '?':>8}")
        return 0
    print(f"{'source':<36} {'kind':<9} provider")
    for name, kind, provider in sources.known_sources():
        print(f"{name:<36} {kind:<9} {provider}")
    print(f"{'PATH':<36} {'either':<9} local folder: trainA/ trainB/ (unpaired); train/ or A/ B/ (paired)")
    print("\n`tfstyle datasets info SOURCE` shows splits, sizes and where the data lives.")
    return 0
