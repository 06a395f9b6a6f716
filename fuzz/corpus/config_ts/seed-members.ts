export default defineConfig({
  ...base,
  async adapter() { return { schema: 'no' } },
  ['computed']: 1,
  earlyAccess: true,
  studio: { port: 5555 },
  schema: path.resolve(import.meta.dirname, 'db', 'schema.prisma'),
  migrations: { path: process.env.CI ? 'ci/migrations' : 'prisma/migrations' },
  datasource: { url: process.env["DATABASE_URL"] ?? 'file:./dev.db' },
})
