// Starts fauxqs (SQS, SNS and S3 emulator) on 127.0.0.1 only. fauxqs always listens on 0.0.0.0;
// the tests must never listen beyond loopback, so every listen() in this process is pinned to
// 127.0.0.1 before fauxqs loads.
//   node fauxqs-loopback.mjs PORT     prints {"port": N} once listening
import net from "node:net";

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (args.length > 0 && typeof args[0] === "object" && args[0] !== null) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  } else if (typeof args[0] === "number" || typeof args[0] === "string") {
    if (typeof args[1] === "string") args[1] = "127.0.0.1";
    else args.splice(1, 0, "127.0.0.1");
  }
  return listen.apply(this, args);
};

const { startFauxqs } = await import("fauxqs");
const server = await startFauxqs({ port: parseInt(process.argv[2] ?? "0", 10), host: "127.0.0.1", logger: false });
console.log(JSON.stringify({ port: server.port }));
