// Calls the Pusher HTTP API with the official npm `pusher` server SDK; prints one JSON line.
// usage: node server_sdk.mjs '{"appId":"1","key":"k","secret":"s","port":8080,
//                              "action":"trigger|triggerBatch|get|sendToUser|terminate", ...}'
import Pusher from "pusher";

const args = JSON.parse(process.argv[2]);
const pusher = new Pusher({
  appId: args.appId, key: args.key, secret: args.secret,
  host: "127.0.0.1", port: String(args.port), useTLS: false,
});
const actions = {
  trigger: () => pusher.trigger(args.channels, args.event, args.data, args.params ?? {}),
  triggerBatch: () => pusher.triggerBatch(args.batch),
  get: () => pusher.get({ path: args.path, params: args.params ?? {} }),
  sendToUser: () => pusher.sendToUser(args.userId, args.event, args.data),
  terminate: () => pusher.terminateUserConnections(args.userId),
};
try {
  const response = await actions[args.action]();
  const text = await response.text();
  console.log(JSON.stringify({ status: response.status, body: text ? JSON.parse(text) : null }));
} catch (error) {
  console.log(JSON.stringify({ status: error.status ?? 0, error: String(error.body ?? error) }));
}
