import http.server, sys
port, health = int(sys.argv[1]), sys.argv[2]
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path.split('?')[0] == health
        body = b'no revision deployed yet\n'
        self.send_response(200 if ok else 404)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(('', port), Handler).serve_forever()
