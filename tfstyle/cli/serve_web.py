"""`tfstyle serve-web DIR`: serve the page `tfstyle export --web` wrote, for a person to open in a browser."""


def add_parser(sub, help_line):
    parser = sub.add_parser("serve-web", help=help_line, description=help_line)
    parser.add_argument("folder", help="the web/ folder inside an export")
    parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    parser.set_defaults(run=run)


def run(args):
    from tfstyle.export.webpage import server

    httpd = server(args.folder, args.port)
    host, port = httpd.server_address[:2]
    print(f"serving {args.folder} at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0
