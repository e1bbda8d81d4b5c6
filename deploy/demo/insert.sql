-- pgbench script (deploy/demo.sh, weight 70): a new order with 1-5 lines.
\set customer random(1, 500)
\set lines random(1, 5)
\set product random(1, 200)
BEGIN;
INSERT INTO orders (customer_id, status, total)
  SELECT :customer, 'new', sum((1 + l % 3) * p.price)
  FROM generate_series(1, :lines) l
  JOIN products p ON p.id = 1 + (:product + l * 37) % 200
  RETURNING id AS order_id \gset
INSERT INTO order_items (order_id, line_no, product_id, qty, unit_price)
  SELECT :order_id, l, p.id, 1 + l % 3, p.price
  FROM generate_series(1, :lines) l
  JOIN products p ON p.id = 1 + (:product + l * 37) % 200;
END;
