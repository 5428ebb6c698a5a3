#!/usr/bin/env bash
# Captures the exchanges behind tests/unit/protocol/captures.hpp from a real MariaDB.
# Not part of the build or of CI: run by hand, then regenerate the header with
#   /usr/bin/python3 gen_captures.py /tmp/cw-codec-srv/cap > ../captures.hpp
# Needs mariadb-server, mariadb-client, libmariadb-dev and python3-pymysql. Loopback only,
# ports 21450 (server) and 21451 (relay).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=/tmp/cw-codec-srv
cap=$root/cap
sock=$root/sock
mkdir -p "$cap"
rm -f "$cap"/*.jsonl

if [[ ! -d $root/data ]]; then
  mariadb-install-db --no-defaults --datadir=$root/data --user=root --auth-root-authentication-method=normal >/dev/null
fi
if ! [[ -S $sock ]]; then
  mariadbd --no-defaults --datadir=$root/data --user=root --port=21450 --bind-address=127.0.0.1 \
    --socket=$sock --log-bin=$root/data/binlog --server-id=1 --local-infile=1 \
    --pid-file=$root/mariadbd.pid --log-error=$root/err.log &
  for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.2; done
  mariadb --socket=$sock -uroot <<'SQL'
CREATE USER IF NOT EXISTS app@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('app');
CREATE USER IF NOT EXISTS app@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('app');
GRANT ALL ON *.* TO app@'%';
GRANT ALL ON *.* TO app@'localhost';
CREATE DATABASE IF NOT EXISTS shop;
USE shop;
CREATE TABLE IF NOT EXISTS items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(32) NOT NULL,
  price DECIMAL(10,2), added DATETIME) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS notes (id INT PRIMARY KEY, body TEXT);
DELIMITER //
CREATE PROCEDURE IF NOT EXISTS two_selects() BEGIN
  SELECT id, name FROM items ORDER BY id LIMIT 2; SELECT COUNT(*) AS n FROM items; END//
DELIMITER ;
SQL
fi
# Same data before every run so the captures are reproducible up to nonces and ids.
mariadb --socket=$sock -uroot shop -e "DELETE FROM items; DELETE FROM notes; ALTER TABLE items AUTO_INCREMENT = 1;
  INSERT INTO items (name, price, added) VALUES ('apple', 0.50, '2024-03-01 10:00:00'),
  ('pear', NULL, '2024-03-02 11:30:00'), ('plum', 1.25, NULL);"
printf '1\tpen\t1.50\n2\tink\t3.25\n' > $root/items.tsv
cc -o $root/capture_stmt "$here/capture_stmt.c" $(mariadb_config --cflags --libs)

relay_pid=
start_relay() {  # scenario [--mysql-greeting]
  /usr/bin/python3 "$here/relay.py" 21451 21450 "$cap/$1.jsonl" "${@:2}" &
  relay_pid=$!
  sleep 0.5
}
stop_relay() {
  sleep 0.3
  kill "$relay_pid"
  wait "$relay_pid" 2>/dev/null || true
}
trap '[[ -n $relay_pid ]] && kill $relay_pid 2>/dev/null || true' EXIT

cli=(mariadb -h127.0.0.1 -P21451 -uapp)

start_relay cli_login
"${cli[@]}" -papp shop -e "select 1" >/dev/null
stop_relay

start_relay cli_bad_password
"${cli[@]}" -pwrong shop -e "select 1" 2>/dev/null || true
stop_relay

# Through a CLIENT_MYSQL greeting, as through causeway: no MariaDB extensions.
start_relay cli_text --mysql-greeting
"${cli[@]}" -papp shop --force --local-infile=1 >/dev/null 2>&1 <<SQL || true
SELECT id, name, price, added FROM items ORDER BY id;
CALL two_selects();
delimiter //
select 1; select 2 //
delimiter ;
SET time_zone = '+02:00';
SET session_track_system_variables = 'last_gtid';
INSERT INTO items (name, price) VALUES ('kiwi', 0.75);
SELEC 1;
SELECT * FROM no_such_table;
DELETE FROM notes;
LOAD DATA LOCAL INFILE '$root/items.tsv' INTO TABLE notes (id, body, @skip);
SQL
stop_relay

for s in pymysql_text pymysql_binary pymysql_bad_password raw_text raw_binary; do
  start_relay $s
  /usr/bin/python3 "$here/clients.py" $s 21451 >/dev/null
  stop_relay
done

start_relay c_stmt --mysql-greeting
$root/capture_stmt 21451
stop_relay
relay_pid=
ls -l "$cap"
