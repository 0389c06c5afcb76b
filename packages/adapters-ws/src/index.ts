export { WsControlSystem, DO_NOT_RECONNECT, type WsControlSystemOptions } from './ws-control-system.js';
export { defaultSocketFactory, type SocketFactory, type SocketLike } from './socket.js';
