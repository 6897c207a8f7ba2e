// Web example of zego-token-service/client. Build and serve (from the repository root):
//   npx esbuild examples/web/app.mjs --bundle --format=esm --splitting --outdir=examples/web/dist \
//     --alias:zego-token-service/client=./packages/client/src/index.ts --servedir=examples/web --serve=127.0.0.1:8080
// then open http://127.0.0.1:8080 (allow that origin with CORS_ORIGINS in production mode).
import { createTokenClient, zegoWebEngine } from "zego-token-service/client";

const log = (line) => {
  document.querySelector("#log").textContent += `${new Date().toISOString().slice(11, 19)} ${line}\n`;
};
// A token's first characters encode its expiry (the same for tokens minted in the same second);
// characters 18-29 are its random nonce (the IV in the legacy form): they tell tokens apart without
// showing the credential.
const short = (token) => `04…${token.slice(18, 30)}…`;

/** Prints what the Web SDK would receive, in the Web SDK's own argument order. */
function standInEngine() {
  return {
    async loginRoom(roomID, token, user) {
      log(`engine.loginRoom(${roomID}, ${short(token)}, ${user.userID})`);
      return true;
    },
    renewToken(token, roomID) {
      log(`engine.renewToken(${short(token)}, ${roomID})`);
      return true;
    },
    logoutRoom(roomID) {
      log(`engine.logoutRoom(${roomID})`);
    },
    on: () => true,
    off: () => true,
  };
}

async function realEngine(appId, server) {
  const { ZegoExpressEngine } = await import("zego-express-engine-webrtc");
  return new ZegoExpressEngine(appId, server);
}

let client;
let room;
const form = document.querySelector("#join");
const leave = document.querySelector("#leave");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = new FormData(form);
  const appId = Number(f.get("appId"));
  const zg = appId > 0 ? await realEngine(appId, String(f.get("server"))) : standInEngine();
  client = createTokenClient({ url: String(f.get("url")), authorization: () => `Bearer ${f.get("jwt")}` });
  try {
    room = await client.joinRoom({
      roomId: String(f.get("room")),
      engine: zegoWebEngine(zg),
      user: { userID: String(f.get("user")) },
      onToken: ({ reason, token }) => log(`${reason}: canPublish=${token.canPublish} streams=${JSON.stringify(token.streamIds)} expires ${token.expiresAt}`),
      onForbidden: (error) => log(`access lost (${error.code}); logged out`),
      onError: (error) => log(`error ${error.code}: ${error.message}`),
    });
    leave.disabled = false;
  } catch (error) {
    log(`join failed: ${error.code ?? ""} ${error.message}`);
    await client.close();
  }
});

leave.addEventListener("click", async () => {
  await room?.leave();
  await client?.close();
  leave.disabled = true;
  log("left");
});
