print("lorafs")
