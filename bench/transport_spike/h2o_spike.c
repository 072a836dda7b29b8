/* Transport spike: h2o 2.2 (libh2o-evloop). GET /healthz -> {"ok":true};
 * POST /echo -> {"bytes":N}, bodies over 2 MiB -> 413 (h2o's own).
 * One event loop thread, h2o's defaults otherwise. Usage: h2o_spike PORT */
#include <h2o.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static h2o_globalconf_t config;
static h2o_context_t ctx;
static h2o_accept_ctx_t accept_ctx;

static int reply(h2o_req_t *req, int status, const char *body) {
  static h2o_generator_t generator = {NULL, NULL};
  req->res.status = status;
  req->res.reason = status == 200 ? "OK" : "Error";
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
  h2o_start_response(req, &generator);
  h2o_iovec_t b = h2o_strdup(&req->pool, body, SIZE_MAX);
  h2o_send(req, &b, 1, 1);
  return 0;
}

static int on_healthz(h2o_handler_t *self, h2o_req_t *req) { return reply(req, 200, "{\"ok\":true}"); }

static int on_echo(h2o_handler_t *self, h2o_req_t *req) {
  char body[64];
  snprintf(body, sizeof(body), "{\"bytes\":%zu}", req->entity.len);
  return reply(req, 200, body);
}

static void on_accept(h2o_socket_t *listener, const char *err) {
  h2o_socket_t *sock;
  if (err != NULL) return;
  if ((sock = h2o_evloop_socket_accept(listener)) == NULL) return;
  h2o_accept(&accept_ctx, sock);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  h2o_config_init(&config);
  config.max_request_entity_size = 2 * 1024 * 1024;
  h2o_hostconf_t *host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *p = h2o_config_register_path(host, "/healthz", 0);
  h2o_create_handler(p, sizeof(h2o_handler_t))->on_req = on_healthz;
  p = h2o_config_register_path(host, "/echo", 0);
  h2o_create_handler(p, sizeof(h2o_handler_t))->on_req = on_echo;
  h2o_context_init(&ctx, h2o_evloop_create(), &config);
  accept_ctx.ctx = &ctx;
  accept_ctx.hosts = config.hosts;
  struct sockaddr_in addr = {0};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(atoi(argv[1]));
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 4096) != 0) return 1;
  h2o_socket_read_start(h2o_evloop_socket_create(ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ), on_accept);
  fprintf(stderr, "ready\n");
  while (h2o_evloop_run(ctx.loop, INT32_MAX) == 0) {
  }
  return 0;
}
