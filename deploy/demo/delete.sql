-- pgbench script (deploy/demo.sh, weight 5): an order is deleted; its lines
-- go with it (ON DELETE CASCADE, replicated as ordinary deletes).
SELECT max(id) AS max_order FROM orders \gset
\set pick random(1, :max_order)
DELETE FROM orders WHERE id = (SELECT id FROM orders WHERE id >= :pick ORDER BY id LIMIT 1);
