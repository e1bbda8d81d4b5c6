-- pgbench script (deploy/demo.sh, weight 25): an order moves on, a product's
-- stock changes, sometimes an order line is renumbered (a primary key change)
-- or a product's large `details` is edited. The demo runs one pgbench client,
-- so these read-then-write statements never race.
\set r random(1, 100)
\set product random(1, 200)
SELECT max(id) AS max_order FROM orders \gset
\set pick random(1, :max_order)
BEGIN;
UPDATE orders
  SET status = (ARRAY['paid', 'packed', 'shipped', 'delivered'])[1 + :r % 4], updated_at = now()
  WHERE id = (SELECT id FROM orders WHERE id >= :pick ORDER BY id LIMIT 1);
-- Leaves the TOASTed `details` unchanged: pgoutput sends the row without it,
-- and dbmazz writes a partial update that keeps StarRocks' value.
UPDATE products SET stock = stock - 1, updated_at = now() WHERE id = :product;
\if :r <= 10
UPDATE order_items i SET line_no = m.max_line + 1, qty = i.qty + 1
  FROM (SELECT order_id, min(line_no) AS min_line, max(line_no) AS max_line
        FROM order_items
        WHERE order_id = (SELECT min(order_id) FROM order_items WHERE order_id >= :pick)
        GROUP BY order_id) m
  WHERE i.order_id = m.order_id AND i.line_no = m.min_line;
\endif
\if :r > 95
UPDATE products
  SET details = jsonb_set(details, '{revision}', to_jsonb((details->>'revision')::int + 1)),
      updated_at = now()
  WHERE id = :product;
\endif
END;
