import { afterAll } from "@effect/vitest"
import * as SqlJobStore from "../../../src/stores/sql/SqlJobStore.js"
import { suite } from "../jobStoreSuite.js"
import { dropTables, MYSQL_URL, mysqlClient, uniquePrefix } from "./helpers.js"

const prefix = uniquePrefix("my")
afterAll(() => dropTables(mysqlClient(), prefix))

suite("SqlJobStore (MariaDB)", SqlJobStore.layerMysql({ url: MYSQL_URL, tablePrefix: prefix, maxConnections: 2, clock: "effect" }))
