"""The SQL function ``ecodata_st(op, lon, lat, wkt)`` for PostgreSQL.

SQLite and DuckDB register the Python :func:`ecodata.protocols.odata_geometry.ecodata_st`;
PostgreSQL gets one of the definitions below (run once per database, e.g. in a migration). Both
return 1.0/0.0 for predicates, the planar distance for ``distance`` and NULL when an argument is
NULL. The texts contain no ``%`` so they can be executed through any driver as they are.
"""

from __future__ import annotations

#: PostgreSQL with PostGIS: ``ecodata_st`` delegating to PostGIS on ``geometry`` (planar, degrees).
POSTGIS_ECODATA_ST = """\
CREATE OR REPLACE FUNCTION ecodata_st(op text, lon double precision, lat double precision, wkt text)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN op = 'distance' THEN ST_Distance(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
    WHEN left(op, 7) = 'relate:' THEN
      CASE WHEN ST_Relate(ST_MakePoint(lon, lat), ST_GeomFromText(wkt), substr(op, 8))
           THEN 1.0 ELSE 0.0 END
    ELSE CASE WHEN CASE op
      WHEN 'equals' THEN ST_Equals(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'disjoint' THEN ST_Disjoint(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'touches' THEN ST_Touches(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'within' THEN ST_Within(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'overlaps' THEN ST_Overlaps(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'crosses' THEN ST_Crosses(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'intersects' THEN ST_Intersects(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
      WHEN 'contains' THEN ST_Contains(ST_MakePoint(lon, lat), ST_GeomFromText(wkt))
    END THEN 1.0 ELSE 0.0 END
  END
$$;
"""


#: PostgreSQL without PostGIS: the same algorithm as :func:`ecodata_st` in PL/pgSQL. It reads the
#: canonical WKT that the compiler always passes (:meth:`Geometry.wkt`).
POSTGRES_ECODATA_ST = """\
CREATE OR REPLACE FUNCTION ecodata_st(op text, lon double precision, lat double precision, wkt text)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  kind text := split_part(wkt, ' ', 1);
  body text := substr(wkt, length(split_part(wkt, ' ', 1)) + 2);
  dim int;
  parts text[] := '{}';
  poly int[] := '{}';
  ring int[] := '{}';
  polys text[];
  rings text[];
  c double precision[];
  i int; j int; k int; n int;
  x1 double precision; y1 double precision; x2 double precision; y2 double precision;
  t double precision; best double precision := NULL; dd double precision;
  ends double precision[] := '{}';
  cnt int;
  bx double precision[] := '{}';
  loc text := 'E';
  on_b boolean; inside boolean; in_hole boolean;
  m text; p text; ii text; ib text; ie text; ei text; eb text;
  others boolean := false;
  ok boolean;
BEGIN
  IF op IS NULL OR lon IS NULL OR lat IS NULL OR wkt IS NULL THEN RETURN NULL; END IF;
  IF kind IN ('POINT', 'LINESTRING') THEN
    parts := ARRAY[substr(body, 2, length(body) - 2)]; poly := '{1}'; ring := '{1}';
  ELSIF kind IN ('POLYGON', 'MULTILINESTRING', 'MULTIPOINT') THEN
    rings := string_to_array(substr(body, 3, length(body) - 4), '), (');
    FOR i IN 1 .. cardinality(rings) LOOP
      parts := parts || rings[i]; poly := poly || 1; ring := ring || i;
    END LOOP;
  ELSIF kind = 'MULTIPOLYGON' THEN
    polys := string_to_array(substr(body, 4, length(body) - 6), ')), ((');
    FOR i IN 1 .. cardinality(polys) LOOP
      rings := string_to_array(polys[i], '), (');
      FOR j IN 1 .. cardinality(rings) LOOP
        parts := parts || rings[j]; poly := poly || i; ring := ring || j;
      END LOOP;
    END LOOP;
  ELSE
    RAISE EXCEPTION USING MESSAGE = 'ecodata_st: unsupported geometry ' || kind;
  END IF;
  dim := CASE WHEN kind IN ('POINT', 'MULTIPOINT') THEN 0
              WHEN kind IN ('LINESTRING', 'MULTILINESTRING') THEN 1 ELSE 2 END;

  -- where the point lies: I(nterior), B(oundary) or E(xterior) of the geometry
  IF dim = 0 THEN
    FOR i IN 1 .. cardinality(parts) LOOP
      c := string_to_array(replace(parts[i], ', ', ' '), ' ')::double precision[];
      IF c[1] = lon AND c[2] = lat THEN loc := 'I'; ELSE others := true; END IF;
    END LOOP;
  ELSE
    IF dim = 1 THEN  -- mod-2 boundary rule over the end points of open lines
      FOR i IN 1 .. cardinality(parts) LOOP
        c := string_to_array(replace(parts[i], ', ', ' '), ' ')::double precision[];
        n := cardinality(c);
        IF NOT (c[1] = c[n - 1] AND c[2] = c[n]) THEN
          ends := ends || ARRAY[c[1], c[2], c[n - 1], c[n]];
        END IF;
      END LOOP;
      FOR i IN 1 .. cardinality(ends) / 2 LOOP
        cnt := 0;
        FOR j IN 1 .. cardinality(ends) / 2 LOOP
          IF ends[2 * j - 1] = ends[2 * i - 1] AND ends[2 * j] = ends[2 * i] THEN cnt := cnt + 1;
          END IF;
        END LOOP;
        IF mod(cnt, 2) = 1 THEN bx := bx || ARRAY[ends[2 * i - 1], ends[2 * i]]; END IF;
      END LOOP;
      FOR i IN 1 .. cardinality(bx) / 2 LOOP
        IF bx[2 * i - 1] = lon AND bx[2 * i] = lat THEN loc := 'B';
        ELSE others := true; END IF;
      END LOOP;
    END IF;
    IF loc <> 'B' THEN
      FOR k IN 1 .. cardinality(parts) LOOP
        c := string_to_array(replace(parts[k], ', ', ' '), ' ')::double precision[];
        n := cardinality(c) / 2;
        on_b := false; inside := false;
        FOR i IN 1 .. n - 1 LOOP
          x1 := c[2 * i - 1]; y1 := c[2 * i]; x2 := c[2 * i + 1]; y2 := c[2 * i + 2];
          IF (x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1) = 0
             AND lon BETWEEN least(x1, x2) AND greatest(x1, x2)
             AND lat BETWEEN least(y1, y2) AND greatest(y1, y2) THEN on_b := true; END IF;
          IF (y1 > lat) <> (y2 > lat) AND lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1) THEN
            inside := NOT inside;
          END IF;
        END LOOP;
        IF on_b THEN loc := CASE WHEN dim = 2 THEN 'B' ELSE 'I' END; EXIT WHEN dim = 2; END IF;
        IF dim = 2 THEN
          IF ring[k] = 1 THEN  -- a shell: look at the holes of the same polygon
            in_hole := false;
            FOR j IN 1 .. cardinality(parts) LOOP
              IF poly[j] = poly[k] AND ring[j] > 1 THEN
                c := string_to_array(replace(parts[j], ', ', ' '), ' ')::double precision[];
                n := cardinality(c) / 2;
                ok := false;
                FOR i IN 1 .. n - 1 LOOP
                  x1 := c[2 * i - 1]; y1 := c[2 * i]; x2 := c[2 * i + 1]; y2 := c[2 * i + 2];
                  IF (y1 > lat) <> (y2 > lat) AND lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1) THEN
                    ok := NOT ok;
                  END IF;
                END LOOP;
                in_hole := in_hole OR ok;
              END IF;
            END LOOP;
            IF inside AND NOT in_hole THEN loc := 'I'; END IF;
          END IF;
        END IF;
      END LOOP;
    END IF;
  END IF;

  IF op = 'distance' THEN
    IF dim = 2 AND loc <> 'E' THEN RETURN 0.0; END IF;
    FOR k IN 1 .. cardinality(parts) LOOP
      c := string_to_array(replace(parts[k], ', ', ' '), ' ')::double precision[];
      n := cardinality(c) / 2;
      FOR i IN 1 .. greatest(n - 1, 1) LOOP
        x1 := c[2 * i - 1]; y1 := c[2 * i];
        IF n = 1 THEN x2 := x1; y2 := y1; ELSE x2 := c[2 * i + 1]; y2 := c[2 * i + 2]; END IF;
        IF (x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1) = 0 THEN
          dd := sqrt((lon - x1) ^ 2 + (lat - y1) ^ 2);
        ELSE
          t := greatest(0.0, least(1.0, ((lon - x1) * (x2 - x1) + (lat - y1) * (y2 - y1))
               / ((x2 - x1) ^ 2 + (y2 - y1) ^ 2)));
          dd := sqrt((lon - (x1 + t * (x2 - x1))) ^ 2 + (lat - (y1 + t * (y2 - y1))) ^ 2);
        END IF;
        best := least(coalesce(best, dd), dd);
      END LOOP;
    END LOOP;
    RETURN best;
  END IF;

  -- DE-9IM of (point, geometry), OGC 06-103r4 6.1.15
  ii := CASE WHEN loc = 'I' THEN '0' ELSE 'F' END;
  ib := CASE WHEN loc = 'B' THEN '0' ELSE 'F' END;
  ie := CASE WHEN loc = 'E' THEN '0' ELSE 'F' END;
  ei := CASE dim WHEN 0 THEN CASE WHEN others THEN '0' ELSE 'F' END WHEN 1 THEN '1' ELSE '2' END;
  eb := CASE dim WHEN 0 THEN 'F' WHEN 1 THEN CASE WHEN others THEN '0' ELSE 'F' END ELSE '1' END;
  m := ii || ib || ie || 'FFF' || ei || eb || '2';
  p := CASE op
    WHEN 'equals' THEN 'T*F**FFF*' WHEN 'disjoint' THEN 'FF*FF****'
    WHEN 'within' THEN 'T*F**F***' WHEN 'contains' THEN 'T*****FF*'
    WHEN 'overlaps' THEN 'T*T***T**' WHEN 'crosses' THEN 'T*T******'
    ELSE upper(substr(op, 8)) END;
  IF op = 'intersects' THEN RETURN CASE WHEN ii = 'F' AND ib = 'F' THEN 0.0 ELSE 1.0 END; END IF;
  IF op = 'touches' THEN RETURN CASE WHEN ii = 'F' AND ib <> 'F' THEN 1.0 ELSE 0.0 END; END IF;
  IF op = 'overlaps' AND dim <> 0 THEN RETURN 0.0; END IF;
  IF op = 'crosses' AND dim = 0 THEN RETURN 0.0; END IF;
  IF op NOT IN ('equals', 'disjoint', 'within', 'contains', 'overlaps', 'crosses')
     AND left(op, 7) <> 'relate:' THEN
    RAISE EXCEPTION USING MESSAGE = 'ecodata_st: unknown operation ' || op;
  END IF;
  FOR i IN 1 .. 9 LOOP
    IF substr(p, i, 1) = 'T' AND substr(m, i, 1) = 'F' THEN RETURN 0.0; END IF;
    IF substr(p, i, 1) = 'F' AND substr(m, i, 1) <> 'F' THEN RETURN 0.0; END IF;
    IF substr(p, i, 1) IN ('0', '1', '2') AND substr(m, i, 1) <> substr(p, i, 1) THEN
      RETURN 0.0;
    END IF;
  END LOOP;
  RETURN 1.0;
END
$fn$;
"""
