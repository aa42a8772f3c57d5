#!/usr/bin/env python3
"""An independent ESME for interop tests: python-smpplib (PyPI `smpplib`) against smsc-sim.

Usage: smpplib_client.py HOST PORT [DEADLINE_SECONDS]

Binds as transceiver, submits a long (concatenated, UDH) GSM text and a UCS-2 text, each part
asking for a receipt, reads until every part's receipt has arrived (or the deadline passes), then
unbinds. Prints one JSON object on stdout:

  {"bound": true, "parts": [{"sequence": n, "message_id": "...", "status": 0}, ...],
   "receipts": [{"receipted_message_id": "...", "message_state": 2, "text": "id:... stat:DELIVRD ..."}, ...],
   "unbound": true}

Exit status 0 when every submitted part got a message id and a receipt, 1 otherwise.
"""
import json
import sys
import time

import smpplib.client
import smpplib.consts
import smpplib.gsm

LONG_TEXT = "This long message is split by python-smpplib into parts with a user data header. " * 3
UCS2_TEXT = "Привет, мир! Сообщение в UCS-2."


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 20)
    result = {"bound": False, "parts": [], "receipts": [], "unbound": False}
    sent = {}

    client = smpplib.client.Client(host, port, timeout=1, allow_unknown_opt_params=True)

    def on_sent(pdu, **kwargs):
        sent[pdu.sequence]["message_id"] = pdu.message_id.decode()
        sent[pdu.sequence]["status"] = pdu.status

    def on_received(pdu, **kwargs):
        message_id = pdu.receipted_message_id
        result["receipts"].append({
            "receipted_message_id": message_id.decode() if isinstance(message_id, bytes) else message_id,
            "message_state": pdu.message_state,
            "esm_class": pdu.esm_class,
            "text": pdu.short_message.decode("ascii", "replace"),
        })

    client.set_message_sent_handler(on_sent)
    client.set_message_received_handler(on_received)
    client.connect()
    try:
        client.bind_transceiver(system_id="pyclient", password="secret")
        result["bound"] = True

        for text in (LONG_TEXT, UCS2_TEXT):
            parts, encoding, esm_class = smpplib.gsm.make_parts(text)
            for part in parts:
                pdu = client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                    source_addr_npi=smpplib.consts.SMPP_NPI_UNK,
                    source_addr="PyShop",
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr="447700900123",
                    short_message=part,
                    data_coding=encoding,
                    esm_class=esm_class,
                    registered_delivery=True,
                )
                sent[pdu.sequence] = {"sequence": pdu.sequence, "data_coding": encoding, "esm_class": esm_class}

        while time.monotonic() < deadline:
            answered = all("message_id" in part for part in sent.values())
            if answered and len(result["receipts"]) >= len(sent):
                break
            client.read_once()

        client.unbind()
        result["unbound"] = True
    finally:
        client.disconnect()
        result["parts"] = [sent[key] for key in sorted(sent)]
        print(json.dumps(result))

    complete = all(part.get("status") == 0 for part in result["parts"]) and len(result["receipts"]) >= len(sent)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
