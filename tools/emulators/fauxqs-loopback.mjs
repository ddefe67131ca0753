// Starts fauxqs (SQS JSON protocol, SNS, S3) on 127.0.0.1 and an ephemeral
// port, prints FAUXQS_URL=http://127.0.0.1:PORT and serves until SIGTERM.
// fauxqs' own CLI listens on 0.0.0.0; tests must not open ports beyond
// loopback, so every listen on 0.0.0.0 is turned into one on 127.0.0.1.
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args[0] && typeof args[0] === "object" && args[0].host === "0.0.0.0") {
    args[0] = { ...args[0], host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};

const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ port: Number(process.env.FAUXQS_PORT ?? 0), logger: false, host: "127.0.0.1" });
console.log(`FAUXQS_URL=http://127.0.0.1:${server.port}`);
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    await server.stop();
    process.exit(0);
  });
}
