/* libmariadb side of the binary-protocol captures (run through relay.py by capture.sh):
 * prepared statements with typed, NULL and long-data parameters, re-execution without
 * rebinding (new_params_bound = 0), a read-only cursor with COM_STMT_FETCH,
 * COM_FIELD_LIST, COM_STATISTICS and COM_CHANGE_USER.
 *
 *   cc -o /tmp/capture_stmt capture_stmt.c $(mariadb_config --cflags --libs)
 *   /tmp/capture_stmt PORT
 * Not built by CMake. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(MYSQL* m, const char* what) {
  fprintf(stderr, "%s: %s\n", what, mysql_error(m));
  exit(1);
}

static void sdie(MYSQL_STMT* s, const char* what) {
  fprintf(stderr, "%s: %s\n", what, mysql_stmt_error(s));
  exit(1);
}

static void drain(MYSQL_STMT* s) {
  if (mysql_stmt_store_result(s)) sdie(s, "store");
  mysql_stmt_free_result(s);
}

int main(int argc, char** argv) {
  const unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 21452;
  MYSQL* m = mysql_init(NULL);
  if (!mysql_real_connect(m, "127.0.0.1", "app", "app", "shop", port, NULL, 0)) die(m, "connect");

  /* Typed parameters, one of them NULL. */
  MYSQL_STMT* s = mysql_stmt_init(m);
  const char* q = "SELECT id, name, price, added FROM items WHERE id > ? AND (name <> ? OR ? IS NULL)";
  if (mysql_stmt_prepare(s, q, strlen(q))) sdie(s, "prepare");
  long long min_id = 0;
  char name[] = "pear";
  unsigned long name_len = 4;
  my_bool is_null = 1;
  MYSQL_BIND p[3];
  memset(p, 0, sizeof p);
  p[0].buffer_type = MYSQL_TYPE_LONGLONG;
  p[0].buffer = &min_id;
  p[1].buffer_type = MYSQL_TYPE_STRING;
  p[1].buffer = name;
  p[1].length = &name_len;
  p[2].buffer_type = MYSQL_TYPE_STRING;
  p[2].is_null = &is_null;
  if (mysql_stmt_bind_param(s, p)) sdie(s, "bind");
  if (mysql_stmt_execute(s)) sdie(s, "execute 1");
  drain(s);
  /* Again without rebinding: the client does not resend the types. */
  min_id = 1;
  if (mysql_stmt_execute(s)) sdie(s, "execute 2");
  drain(s);

  /* A read-only cursor fetched two rows at a time. */
  unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 2;
  mysql_stmt_attr_set(s, STMT_ATTR_CURSOR_TYPE, &cursor);
  mysql_stmt_attr_set(s, STMT_ATTR_PREFETCH_ROWS, &prefetch);
  min_id = 0;
  if (mysql_stmt_execute(s)) sdie(s, "execute cursor");
  while (mysql_stmt_fetch(s) == 0) {
  }
  mysql_stmt_close(s);

  /* A parameter sent with COM_STMT_SEND_LONG_DATA. */
  s = mysql_stmt_init(m);
  q = "INSERT INTO notes (id, body) VALUES (?, ?)";
  if (mysql_stmt_prepare(s, q, strlen(q))) sdie(s, "prepare insert");
  int id = 100;
  MYSQL_BIND b[2];
  memset(b, 0, sizeof b);
  b[0].buffer_type = MYSQL_TYPE_LONG;
  b[0].buffer = &id;
  b[1].buffer_type = MYSQL_TYPE_BLOB;
  if (mysql_stmt_bind_param(s, b)) sdie(s, "bind insert");
  mysql_query(m, "DELETE FROM notes WHERE id = 100");
  if (mysql_stmt_send_long_data(s, 1, "long ", 5)) sdie(s, "long data 1");
  if (mysql_stmt_send_long_data(s, 1, "text", 4)) sdie(s, "long data 2");
  if (mysql_stmt_execute(s)) sdie(s, "execute insert");
  mysql_stmt_close(s);

  MYSQL_RES* r = mysql_list_fields(m, "items", NULL);
  if (!r) die(m, "list fields");
  mysql_free_result(r);
  if (!mysql_stat(m)) die(m, "stat");
  if (mysql_change_user(m, "app", "app", "mysql")) die(m, "change user");
  mysql_close(m);
  return 0;
}
