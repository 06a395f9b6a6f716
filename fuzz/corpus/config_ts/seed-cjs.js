const { defineConfig } = require('prisma/config')
const schema = "db/schema.prisma"
module.exports = defineConfig({ schema, migrations: { path: "db/migrations" } })
