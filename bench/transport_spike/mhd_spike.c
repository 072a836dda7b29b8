/* Transport spike: libmicrohttpd 0.9.75, epoll on one internal thread, its
 * own limits: 2 MiB body (413 from the handler), 10 s inactivity timeout,
 * 64 connections per address. Usage: mhd_spike PORT */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct upload { size_t bytes; int too_large; };

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const char *text) {
  struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", "application/json");
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *size, void **state) {
  struct upload *u = *state;
  if (u == NULL) {
    *state = calloc(1, sizeof(struct upload));
    return MHD_YES;
  }
  if (*size > 0) {
    u->bytes += *size;
    if (u->bytes > 2 * 1024 * 1024) u->too_large = 1;
    *size = 0;
    if (!u->too_large) return MHD_YES;
  }
  if (u->too_large) return send_json(c, 413, "{\"error\":\"too large\"}");
  if (strcmp(url, "/healthz") == 0) return send_json(c, 200, "{\"ok\":true}");
  char body[64];
  snprintf(body, sizeof(body), "{\"bytes\":%zu}", u->bytes);
  return send_json(c, 200, body);
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode code) {
  free(*state);
  *state = NULL;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  struct MHD_Daemon *d = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (unsigned short)atoi(argv[1]), NULL, NULL, on_request, NULL,
      MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_CONNECTION_LIMIT, (unsigned)10000,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096, MHD_OPTION_END);
  if (d == NULL) return 1;
  fprintf(stderr, "ready\n");
  pause();
  return 0;
}
