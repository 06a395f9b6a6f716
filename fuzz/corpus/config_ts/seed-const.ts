const schemaDir = 'backend/prisma'
const dbUrl = process.env.APP_DB_URL!
const config: PrismaConfig = {
  schema: path.join(schemaDir, 'schema.prisma'),
  migrations: { path: `${schemaDir}/migrations` },
  datasource: { url: dbUrl },
}
export default config
