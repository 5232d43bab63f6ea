/**
 * A console playground (not a test): a server with simulated CPEs and a token per role.
 *   npx vite-node test/ui/dev-stack.ts [count]
 */
import { Fleet, startUiStack } from './helpers.js';

const stack = await startUiStack();
const fleet = new Fleet(stack.acs.cwmpUrl);
const count = Number(process.argv[2] ?? 8);
for (let i = 1; i <= count; i++) await fleet.add(`DEV${String(i).padStart(6, '0')}`);
process.stdout.write(`${JSON.stringify({ url: stack.url, ...stack.tokens })}\n`);
const stop = async (): Promise<void> => {
  await fleet.close();
  await stack.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
